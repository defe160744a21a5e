-- 나만의 메뉴 (order service): an item with its options a customer saved under a short name, per
-- store. The item and options are menu ids without a foreign key (the menu is the store
-- service's); a favourite whose item or option went away is shown as not orderable, not deleted.

CREATE TABLE customer_favourite (
    id          uuid PRIMARY KEY,
    customer_id uuid        NOT NULL REFERENCES customer (id),
    store_id    uuid        NOT NULL,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 12),
    item_id     uuid        NOT NULL,
    -- In the menu's display order, as the cart keeps them.
    option_ids  uuid[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customer_favourite_customer_store_idx
    ON customer_favourite (customer_id, store_id, created_at);
