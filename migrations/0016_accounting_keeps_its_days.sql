-- Accounting keeps what it needs of a closed business day on its own report row, from the
-- business_day.closed event it consumes, instead of reading the store service's day_business:
-- the day stream's key and when the day opened and closed. Rows already there are filled from
-- day_business once, here. The foreign keys into the store service's tables go with it.
ALTER TABLE accounting_day_business
    ADD COLUMN stream_key text,
    ADD COLUMN opened_at  timestamptz,
    ADD COLUMN closed_at  timestamptz;

UPDATE accounting_day_business a
    SET stream_key = d.stream_key, opened_at = d.opened_at, closed_at = d.closed_at
    FROM day_business d
    WHERE d.id = a.day_business_id;

ALTER TABLE accounting_day_business
    ALTER COLUMN stream_key SET NOT NULL,
    ALTER COLUMN closed_at SET NOT NULL,
    DROP CONSTRAINT accounting_day_business_day_business_id_fkey,
    DROP CONSTRAINT accounting_day_business_store_id_fkey;

DROP INDEX accounting_day_business_store_idx;
-- Daily reports and the chart: a store's days, most recently closed first.
CREATE INDEX accounting_day_business_store_closed_idx
    ON accounting_day_business (store_id, closed_at DESC);
