-- Wakes the outbox relays when events commit instead of leaving them to poll: one NOTIFY per
-- statement that wrote events (Postgres folds identical notifications of a transaction into
-- one), delivered only if the transaction commits. The relays LISTEN on 'outbox'.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
