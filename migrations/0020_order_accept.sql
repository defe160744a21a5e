-- Accepting an order with a promised time (접수): PLACED → ACCEPTED → READY. Existing rows keep
-- their status; an ACCEPTED row always knows when it was accepted and what was promised.

ALTER TABLE customer_order DROP CONSTRAINT customer_order_status_check;
ALTER TABLE customer_order ADD CONSTRAINT customer_order_status_check
    CHECK (status IN ('APPROVING', 'PLACED', 'ACCEPTED', 'READY', 'CANCELED', 'FAILED'));

ALTER TABLE customer_order
    ADD COLUMN accepted_at  timestamptz,
    ADD COLUMN promised_at  timestamptz,
    ADD COLUMN prep_minutes integer CHECK (prep_minutes BETWEEN 1 AND 120),
    -- The customer canceled it from the chatbot before it was accepted.
    ADD COLUMN canceled_by_customer boolean NOT NULL DEFAULT false;

ALTER TABLE customer_order DROP CONSTRAINT customer_order_placed_at;
ALTER TABLE customer_order ADD CONSTRAINT customer_order_placed_at
    CHECK (status NOT IN ('PLACED', 'ACCEPTED', 'READY') OR placed_at IS NOT NULL);
ALTER TABLE customer_order ADD CONSTRAINT customer_order_accepted_at
    CHECK (status <> 'ACCEPTED'
        OR (accepted_at IS NOT NULL AND promised_at IS NOT NULL AND prep_minutes IS NOT NULL));

-- The place in line: a store's accepted orders not ready yet, in the order they were accepted.
CREATE INDEX customer_order_accepted_queue_idx
    ON customer_order (store_id, accepted_at) WHERE status = 'ACCEPTED';

-- How a store accepts its orders (order service): its usual preparation time, 바쁨, and
-- auto-accept. A store without a row uses the defaults (10 minutes, not busy, manual).
CREATE TABLE order_accept_setting (
    store_id     uuid PRIMARY KEY,
    prep_minutes integer     NOT NULL CHECK (prep_minutes BETWEEN 1 AND 120),
    busy         boolean     NOT NULL DEFAULT false,
    auto_accept  boolean     NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
