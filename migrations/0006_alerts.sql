-- Customer alerts sent through Kakao's Event API (chatbot-skill, consumer group `alerts`).
--
-- The Event API has no idempotency key, so each order event's alert is tracked here: the row
-- is written (SENDING) and committed before the request leaves, and the `alert` skill stamps
-- rendered_at when Kakao runs the alert block for it, which is the receipt that the customer
-- got the message. See services/chatbot-skill/src/alerts/mod.rs for the whole reasoning.
CREATE TABLE alert_delivery (
    -- The stream envelope's event_id (the outbox row id).
    event_id           text        PRIMARY KEY,
    event_type         text        NOT NULL,
    order_id           text        NOT NULL,
    bot_user_key       text        NOT NULL,
    -- PENDING: no request in flight, the last one surely failed (or none was made yet);
    -- SENDING: a request left and its outcome is unknown; SENT: Kakao took it;
    -- FAILED: Kakao refused it for good (kept for an operator with last_error).
    state              text        NOT NULL CHECK (state IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
    attempts           integer     NOT NULL DEFAULT 0,
    attempt_started_at timestamptz,
    -- Kakao's taskId (GET /v1/tasks/{taskId}).
    task_id            text,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    rendered_at        timestamptz
);
