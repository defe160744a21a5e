-- Accounting keeps what its daily reports need of a closed day's orders in its own tables,
-- copied from the order service's ListDayBooks when it reconciles the day, instead of reading
-- the order service's customer_order and order_item: when each order was paid (sales by hour)
-- and its lines (sales by item). The days already reconciled are filled from the order tables
-- once, here.
ALTER TABLE accounting_order ADD COLUMN placed_at timestamptz;

UPDATE accounting_order a
    SET placed_at = o.placed_at
    FROM customer_order o
    WHERE o.id = a.order_id AND o.day_business_id = a.day_business_id;

-- One row per line of each order of the day, as paid for.
CREATE TABLE accounting_order_line (
    day_business_id uuid    NOT NULL,
    -- The order service's line id: ids grow in the order lines were recorded.
    line_id         uuid    NOT NULL,
    order_id        uuid    NOT NULL,
    item_id         uuid    NOT NULL,
    name            text    NOT NULL,
    quantity        integer NOT NULL,
    line_total      bigint  NOT NULL,
    PRIMARY KEY (day_business_id, line_id),
    FOREIGN KEY (day_business_id, order_id)
        REFERENCES accounting_order (day_business_id, order_id)
);

INSERT INTO accounting_order_line
        (day_business_id, line_id, order_id, item_id, name, quantity, line_total)
    SELECT a.day_business_id, i.id, i.order_id, i.item_id, i.name, i.quantity, i.line_total
    FROM accounting_order a
    JOIN customer_order o ON o.id = a.order_id AND o.day_business_id = a.day_business_id
    JOIN order_item i ON i.order_id = o.id;
