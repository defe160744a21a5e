-- Transactional outbox and consumer idempotency.

-- Written in the same transaction as the state change it reports; the relay
-- publishes unpublished rows (FOR UPDATE SKIP LOCKED) and stamps published_at.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    stream       text        NOT NULL,
    event_type   text        NOT NULL,
    -- The protobuf message, as put in the stream's `data` field.
    payload      bytea       NOT NULL,
    traceparent  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text
);

-- The relay only ever scans the unpublished tail, oldest first.
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- A consumer inserts (consumer, event_id) in the transaction of its effects;
-- a conflict means the message was already handled and is just acknowledged.
CREATE TABLE processed_event (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
