-- Stores, their accounts and location, and the business day (영업일).
-- Ids are UUID v7 made by the application, so no defaults on id columns.

-- Store search matches partial Korean names ("강남" in "간편카페 강남점"); trigrams
-- work on Hangul because the databases use a UTF-8 ctype.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE store (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL CHECK (btrim(name) <> ''),
    phone       text,
    address     text,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX store_name_trgm_idx ON store USING gin (name gin_trgm_ops);

CREATE TABLE store_account (
    id            uuid PRIMARY KEY,
    store_id      uuid        NOT NULL REFERENCES store (id),
    login         text        NOT NULL UNIQUE,
    -- argon2id PHC string; parameters travel inside it so they can be raised later.
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'admin' CHECK (role IN ('admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX store_account_store_idx ON store_account (store_id);

CREATE TABLE store_location (
    store_id   uuid PRIMARY KEY REFERENCES store (id),
    latitude   double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude  double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    address    text,
    updated_at timestamptz      NOT NULL DEFAULT now()
);

CREATE TABLE day_business (
    id            uuid PRIMARY KEY,
    store_id      uuid        NOT NULL REFERENCES store (id),
    state         text        NOT NULL
        CHECK (state IN ('PREPARING', 'OPEN', 'BREAK', 'CLOSING', 'CLOSED')),
    -- Redis stream of the day, e.g. x:store:{store}:{business}; kept so the live
    -- board and accounting find it even if the naming scheme changes later.
    stream_key    text        NOT NULL UNIQUE,
    -- The calendar day in Korea the business belongs to, for daily reports.
    business_date date        NOT NULL DEFAULT ((now() AT TIME ZONE 'Asia/Seoul')::date),
    ready_at      timestamptz NOT NULL DEFAULT now(),
    opened_at     timestamptz,
    closing_at    timestamptz,
    closed_at     timestamptz,
    summary       jsonb,
    order_count   integer     NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    gross         bigint      NOT NULL DEFAULT 0,
    canceled      bigint      NOT NULL DEFAULT 0,
    net           bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT day_business_closed_at CHECK (state <> 'CLOSED' OR closed_at IS NOT NULL)
);

-- A store has at most one business day that is not yet closed: "ready" twice
-- (two tabs, a retried request) must fail instead of opening a second day.
CREATE UNIQUE INDEX day_business_one_active_idx ON day_business (store_id)
    WHERE state <> 'CLOSED';
CREATE INDEX day_business_store_date_idx ON day_business (store_id, business_date DESC);

CREATE TABLE business_history (
    id              uuid PRIMARY KEY,
    day_business_id uuid        NOT NULL REFERENCES day_business (id),
    store_id        uuid        NOT NULL REFERENCES store (id),
    -- NULL for the row that records the day's creation (→ PREPARING).
    from_state      text
        CHECK (from_state IN ('PREPARING', 'OPEN', 'BREAK', 'CLOSING', 'CLOSED')),
    to_state        text        NOT NULL
        CHECK (to_state IN ('PREPARING', 'OPEN', 'BREAK', 'CLOSING', 'CLOSED')),
    at              timestamptz NOT NULL DEFAULT now(),
    -- Who moved it: a store login, or a system component such as 'sweeper'.
    actor           text        NOT NULL
);

CREATE INDEX business_history_day_idx ON business_history (day_business_id, at);
