-- Customers and their orders. Order lines are snapshots: no foreign key into
-- the menu, so editing or disabling the menu never changes a past order.

CREATE TABLE customer (
    id                  uuid PRIMARY KEY,
    -- Kakao botUserKey: stable per user and bot; how skill requests identify the user.
    bot_user_key        text        NOT NULL UNIQUE,
    plusfriend_user_key text,
    nickname            text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_seen_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX customer_plusfriend_idx ON customer (plusfriend_user_key)
    WHERE plusfriend_user_key IS NOT NULL;

CREATE TABLE customer_recent_store (
    customer_id     uuid        NOT NULL REFERENCES customer (id),
    store_id        uuid        NOT NULL REFERENCES store (id),
    last_ordered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, store_id)
);

CREATE INDEX customer_recent_store_recent_idx
    ON customer_recent_store (customer_id, last_ordered_at DESC);

CREATE TABLE customer_order (
    id              uuid PRIMARY KEY,
    store_id        uuid        NOT NULL REFERENCES store (id),
    day_business_id uuid        NOT NULL REFERENCES day_business (id),
    customer_id     uuid        NOT NULL REFERENCES customer (id),
    status          text        NOT NULL
        CHECK (status IN ('APPROVING', 'PLACED', 'READY', 'CANCELED', 'FAILED')),
    -- The name called at the counter, unique among the day's open orders (Redis set).
    nickname        text        NOT NULL,
    total           bigint      NOT NULL CHECK (total >= 0),
    -- Cart version id `<created ms>-<version>`: exactly what the customer agreed to pay for.
    cart_id         text        NOT NULL,
    cart_snapshot   jsonb       NOT NULL,
    -- KakaoPay tid and the payment session as recorded at approval; the sweeper
    -- needs them to ask KakaoPay what happened to an order stuck in APPROVING.
    payment_tid     text,
    payment_session jsonb,
    failure_reason  text,
    cancel_reason   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    approving_at    timestamptz,
    placed_at       timestamptz,
    ready_at        timestamptz,
    canceled_at     timestamptz,
    failed_at       timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_order_placed_at CHECK (status NOT IN ('PLACED', 'READY') OR placed_at IS NOT NULL),
    CONSTRAINT customer_order_ready_at CHECK (status <> 'READY' OR ready_at IS NOT NULL),
    CONSTRAINT customer_order_canceled_at CHECK (status <> 'CANCELED' OR canceled_at IS NOT NULL),
    CONSTRAINT customer_order_failed_at CHECK (status <> 'FAILED' OR failed_at IS NOT NULL)
);

-- One tid pays for one order; a repeated approval callback must find the same row.
CREATE UNIQUE INDEX customer_order_payment_tid_idx ON customer_order (payment_tid)
    WHERE payment_tid IS NOT NULL;
-- "My orders" in the chatbot.
CREATE INDEX customer_order_customer_idx ON customer_order (customer_id, created_at DESC);
-- The store's day: the board fallback, the closing check, accounting.
CREATE INDEX customer_order_day_status_idx ON customer_order (day_business_id, status);
CREATE INDEX customer_order_store_day_idx ON customer_order (store_id, day_business_id, created_at);
-- The sweeper looks only at orders stuck between payment and placement; few rows.
CREATE INDEX customer_order_approving_idx ON customer_order (created_at)
    WHERE status = 'APPROVING';

CREATE TABLE order_item (
    id         uuid PRIMARY KEY,
    order_id   uuid    NOT NULL REFERENCES customer_order (id),
    item_id    uuid    NOT NULL,
    name       text    NOT NULL,
    -- Item price plus the prices of its chosen options, for one unit.
    unit_price bigint  NOT NULL CHECK (unit_price >= 0),
    quantity   integer NOT NULL CHECK (quantity > 0),
    -- unit_price * quantity
    line_total bigint  NOT NULL CHECK (line_total >= 0),
    position   integer NOT NULL DEFAULT 0
);

CREATE INDEX order_item_order_idx ON order_item (order_id, position);

CREATE TABLE order_item_option (
    id             uuid PRIMARY KEY,
    order_item_id  uuid    NOT NULL REFERENCES order_item (id),
    option_id      uuid    NOT NULL,
    selection_id   uuid,
    selection_name text    NOT NULL,
    option_name    text    NOT NULL,
    price          bigint  NOT NULL CHECK (price >= 0),
    position       integer NOT NULL DEFAULT 0
);

CREATE INDEX order_item_option_item_idx ON order_item_option (order_item_id, position);

CREATE TABLE order_payment (
    id                  uuid PRIMARY KEY,
    order_id            uuid        NOT NULL UNIQUE REFERENCES customer_order (id),
    provider            text        NOT NULL DEFAULT 'kakaopay' CHECK (provider IN ('kakaopay')),
    tid                 text        NOT NULL UNIQUE,
    cid                 text        NOT NULL,
    amount              bigint      NOT NULL CHECK (amount >= 0),
    -- CANCEL_PENDING: a refund was asked for and its outcome is not yet known,
    -- so it must be settled with KakaoPay before anything else happens.
    status              text        NOT NULL
        CHECK (status IN ('APPROVED', 'CANCEL_PENDING', 'CANCELED', 'PARTIAL_CANCELED', 'CANCEL_FAILED')),
    aid                 text,
    payment_method_type text,
    approved_at         timestamptz,
    canceled_at         timestamptz,
    canceled_amount     bigint      NOT NULL DEFAULT 0,
    -- KakaoPay's last answer as received (no card numbers are in it).
    raw                 jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_payment_canceled_amount CHECK (canceled_amount BETWEEN 0 AND amount)
);

-- The day stream archived at accounting time. No foreign key to customer_order:
-- the stream may name an order Postgres does not know, which is exactly the
-- kind of discrepancy accounting has to keep.
CREATE TABLE order_history (
    id              uuid PRIMARY KEY,
    order_id        uuid,
    store_id        uuid        NOT NULL REFERENCES store (id),
    day_business_id uuid        NOT NULL REFERENCES day_business (id),
    -- Redis stream entry id, `<ms>-<seq>`.
    stream_id       text        NOT NULL,
    event_type      text        NOT NULL,
    payload         jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    archived_at     timestamptz NOT NULL DEFAULT now(),
    -- Archiving is re-run after a crash; this makes it insert-or-skip.
    CONSTRAINT order_history_stream_entry UNIQUE (day_business_id, stream_id)
);

CREATE INDEX order_history_order_idx ON order_history (order_id) WHERE order_id IS NOT NULL;
