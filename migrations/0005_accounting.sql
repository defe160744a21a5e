-- Closing reconciliation: one row per closed business day and one per order
-- seen by any of the three sources (Postgres, KakaoPay, the day stream).

CREATE TABLE accounting_day_business (
    day_business_id   uuid PRIMARY KEY REFERENCES day_business (id),
    store_id          uuid        NOT NULL REFERENCES store (id),
    business_date     date        NOT NULL,
    order_count       integer     NOT NULL DEFAULT 0,
    placed_count      integer     NOT NULL DEFAULT 0,
    ready_count       integer     NOT NULL DEFAULT 0,
    canceled_count    integer     NOT NULL DEFAULT 0,
    failed_count      integer     NOT NULL DEFAULT 0,
    gross             bigint      NOT NULL DEFAULT 0,
    canceled          bigint      NOT NULL DEFAULT 0,
    net               bigint      NOT NULL DEFAULT 0,
    kakaopay_total    bigint      NOT NULL DEFAULT 0,
    discrepancy_count integer     NOT NULL DEFAULT 0,
    discrepancies     jsonb       NOT NULL DEFAULT '[]'::jsonb,
    reconciled_at     timestamptz,
    -- PENDING while the reconciliation runs; DISCREPANCY when any order disagrees.
    status            text        NOT NULL DEFAULT 'PENDING'
        CHECK (status IN ('PENDING', 'RECONCILED', 'DISCREPANCY'))
);

-- Daily reports and the chart: a store's days, newest first.
CREATE INDEX accounting_day_business_store_idx
    ON accounting_day_business (store_id, business_date DESC);

-- No foreign key on order_id: an order may be known only to KakaoPay or the stream.
CREATE TABLE accounting_order (
    day_business_id   uuid    NOT NULL REFERENCES accounting_day_business (day_business_id),
    order_id          uuid    NOT NULL,
    status_db         text,
    status_kakaopay   text,
    amount_db         bigint,
    amount_kakaopay   bigint,
    canceled_db       bigint,
    canceled_kakaopay bigint,
    in_stream         boolean NOT NULL DEFAULT false,
    -- NULL when all sources agree; otherwise a human-readable explanation.
    discrepancy       text,
    PRIMARY KEY (day_business_id, order_id)
);
