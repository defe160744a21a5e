-- A day whose reconciliation keeps failing (KakaoPay or the payment service unreachable) is
-- tried again after a growing delay instead of on every poll. The failures stay on the day's
-- report row so an operator can see why a day is still PENDING; once the day is reconciled they
-- stay as a record of what it took, and only the next try time is cleared.
ALTER TABLE accounting_day_business
    ADD COLUMN failed_attempts integer     NOT NULL DEFAULT 0,
    ADD COLUMN last_error      text,
    ADD COLUMN last_failed_at  timestamptz,
    -- NULL: due as soon as the settle delay has passed.
    ADD COLUMN next_attempt_at timestamptz;
