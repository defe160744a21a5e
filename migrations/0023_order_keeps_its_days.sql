-- The order service keeps its own row per business day instead of reading the store service's
-- day_business and locking its store row. Approvals and cancels share-lock this row; the store's
-- close seals it through order's SealDay (refused while orders are open), so an approval that
-- comes after the close is refused as before, and its resume unseals it. A row is written by the
-- first approval or seal of the day; the days there are already are copied here once, the closed
-- ones sealed. The foreign keys into the store service's tables go with it.
CREATE TABLE order_day (
    -- The store's business day id.
    id         uuid PRIMARY KEY,
    store_id   uuid        NOT NULL,
    stream_key text        NOT NULL,
    -- Set while the day is closed (or closing past its last order): no approval, no cancel.
    sealed_at  timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO order_day (id, store_id, stream_key, sealed_at)
    SELECT id, store_id, stream_key, CASE WHEN state = 'CLOSED' THEN closed_at END
    FROM day_business;

ALTER TABLE customer_order
    DROP CONSTRAINT customer_order_store_id_fkey,
    DROP CONSTRAINT customer_order_day_business_id_fkey;
