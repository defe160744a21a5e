-- The normalised menu. Items, options and groups are disabled, never deleted:
-- orders keep snapshots of names and prices and have no foreign key into these
-- tables, and carts in Redis may still name a row for up to 30 minutes.
-- Link tables carry `position` for display order; ties break on the other id.

CREATE TABLE menu_category (
    id         uuid PRIMARY KEY,
    store_id   uuid        NOT NULL REFERENCES store (id),
    name       text        NOT NULL CHECK (btrim(name) <> ''),
    position   integer     NOT NULL DEFAULT 0,
    disabled   boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_category_store_idx ON menu_category (store_id, position);

CREATE TABLE menu_item (
    id             uuid PRIMARY KEY,
    store_id       uuid        NOT NULL REFERENCES store (id),
    name           text        NOT NULL CHECK (btrim(name) <> ''),
    description    text        NOT NULL DEFAULT '',
    price          bigint      NOT NULL CHECK (price >= 0),
    image_url      text,
    disabled       boolean     NOT NULL DEFAULT false,
    -- The (Korean) date the item was marked sold out; it is sold out only while
    -- this equals today, so nobody has to reset it the next morning.
    sold_out_today date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_item_store_idx ON menu_item (store_id);

CREATE TABLE menu_category_item (
    category_id uuid    NOT NULL REFERENCES menu_category (id),
    item_id     uuid    NOT NULL REFERENCES menu_item (id),
    position    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (category_id, item_id)
);

CREATE INDEX menu_category_item_item_idx ON menu_category_item (item_id);

CREATE TABLE menu_option (
    id             uuid PRIMARY KEY,
    store_id       uuid        NOT NULL REFERENCES store (id),
    name           text        NOT NULL CHECK (btrim(name) <> ''),
    -- Surcharge per selected option; never negative, so an order total cannot
    -- drop below what KakaoPay will accept.
    price          bigint      NOT NULL DEFAULT 0 CHECK (price >= 0),
    disabled       boolean     NOT NULL DEFAULT false,
    sold_out_today date,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_option_store_idx ON menu_option (store_id);

-- An option group ("온도", "샷 추가"): the customer picks between min_select
-- and max_select distinct options of it.
CREATE TABLE menu_selection (
    id         uuid PRIMARY KEY,
    store_id   uuid        NOT NULL REFERENCES store (id),
    name       text        NOT NULL CHECK (btrim(name) <> ''),
    min_select integer     NOT NULL DEFAULT 0,
    max_select integer     NOT NULL DEFAULT 1,
    disabled   boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT menu_selection_min_max
        CHECK (0 <= min_select AND min_select <= max_select AND max_select >= 1)
);

CREATE INDEX menu_selection_store_idx ON menu_selection (store_id);

CREATE TABLE menu_selection_option (
    selection_id uuid    NOT NULL REFERENCES menu_selection (id),
    option_id    uuid    NOT NULL REFERENCES menu_option (id),
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (selection_id, option_id)
);

CREATE INDEX menu_selection_option_option_idx ON menu_selection_option (option_id);

CREATE TABLE menu_item_selection (
    item_id      uuid    NOT NULL REFERENCES menu_item (id),
    selection_id uuid    NOT NULL REFERENCES menu_selection (id),
    position     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, selection_id)
);

CREATE INDEX menu_item_selection_selection_idx ON menu_item_selection (selection_id);

-- Groups option groups for the store's menu editor ("음료 옵션", "디저트 옵션");
-- customers never see it.
CREATE TABLE menu_option_category (
    id         uuid PRIMARY KEY,
    store_id   uuid        NOT NULL REFERENCES store (id),
    name       text        NOT NULL CHECK (btrim(name) <> ''),
    position   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_option_category_store_idx ON menu_option_category (store_id, position);

CREATE TABLE menu_option_category_selection (
    option_category_id uuid    NOT NULL REFERENCES menu_option_category (id),
    selection_id       uuid    NOT NULL REFERENCES menu_selection (id),
    position           integer NOT NULL DEFAULT 0,
    PRIMARY KEY (option_category_id, selection_id)
);

-- Bumped by the application in the same transaction as every menu change; the
-- Redis menu document carries the version it was built from, so a stale
-- document is detected by comparing numbers.
CREATE TABLE menu_version (
    store_id   uuid PRIMARY KEY REFERENCES store (id),
    version    bigint      NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
