-- Each service's tables move into a Postgres schema of its own, named after the service (order's
-- is `ordering`, since ORDER is a keyword): store, ordering, accounting, chatbot. A service
-- connects with its schema as search_path, so its SQL keeps naming tables unqualified and finds
-- only its own; migration 0026 gives each service a role with rights on its schema alone.
-- `ALTER TABLE … SET SCHEMA` keeps rows, indexes, constraints and triggers. The owners are
-- crates/contracts/src/tables.rs; the payment service and the gateway keep nothing in Postgres.
--
-- A table added from here on is named with its schema (`ordering.…`): one named without lands
-- in public, where no service can see it.

-- The last foreign keys across services: accounting's archive of the day stream pointed into
-- the store's tables. Accounting keeps the ids as it received them.
ALTER TABLE order_history
    DROP CONSTRAINT order_history_store_id_fkey,
    DROP CONSTRAINT order_history_day_business_id_fkey;

CREATE SCHEMA store;
CREATE SCHEMA ordering;
CREATE SCHEMA accounting;
CREATE SCHEMA chatbot;

ALTER TABLE public.store SET SCHEMA store;
ALTER TABLE public.store_account SET SCHEMA store;
ALTER TABLE public.store_location SET SCHEMA store;
ALTER TABLE public.day_business SET SCHEMA store;
ALTER TABLE public.business_history SET SCHEMA store;
ALTER TABLE public.menu_category SET SCHEMA store;
ALTER TABLE public.menu_item SET SCHEMA store;
ALTER TABLE public.menu_category_item SET SCHEMA store;
ALTER TABLE public.menu_option SET SCHEMA store;
ALTER TABLE public.menu_selection SET SCHEMA store;
ALTER TABLE public.menu_selection_option SET SCHEMA store;
ALTER TABLE public.menu_item_selection SET SCHEMA store;
ALTER TABLE public.menu_option_category SET SCHEMA store;
ALTER TABLE public.menu_option_category_selection SET SCHEMA store;
ALTER TABLE public.menu_version SET SCHEMA store;
ALTER TABLE public.customer_recent_store SET SCHEMA store;
-- Store search (similarity, the trigram index on store names) is the store's alone.
ALTER EXTENSION pg_trgm SET SCHEMA store;

ALTER TABLE public.customer SET SCHEMA ordering;
ALTER TABLE public.customer_order SET SCHEMA ordering;
ALTER TABLE public.order_item SET SCHEMA ordering;
ALTER TABLE public.order_item_option SET SCHEMA ordering;
ALTER TABLE public.order_payment SET SCHEMA ordering;
ALTER TABLE public.order_day SET SCHEMA ordering;
ALTER TABLE public.order_accept_setting SET SCHEMA ordering;
ALTER TABLE public.customer_favourite SET SCHEMA ordering;

ALTER TABLE public.order_history SET SCHEMA accounting;
ALTER TABLE public.accounting_day_business SET SCHEMA accounting;
ALTER TABLE public.accounting_order SET SCHEMA accounting;
ALTER TABLE public.accounting_order_line SET SCHEMA accounting;

ALTER TABLE public.alert_delivery SET SCHEMA chatbot;

-- The bus tables, one per service that uses them: the store and order write events (each
-- relay publishes its own service's), order and accounting record the events they handled.
-- Rows go with the service that wrote them: the store writes a day's opening and its close.
ALTER TABLE public.outbox SET SCHEMA ordering;
CREATE TABLE store.outbox (LIKE ordering.outbox INCLUDING ALL);
WITH moved AS (
    DELETE FROM ordering.outbox
    WHERE event_type IN ('store_day.opened', 'business_day.closed')
    RETURNING *
)
INSERT INTO store.outbox SELECT * FROM moved;

ALTER TABLE public.processed_event SET SCHEMA ordering;
CREATE TABLE accounting.processed_event (LIKE ordering.processed_event INCLUDING ALL);
WITH moved AS (
    DELETE FROM ordering.processed_event WHERE consumer = 'accounting' RETURNING *
)
INSERT INTO accounting.processed_event SELECT * FROM moved;

-- A commit that wrote events wakes the relays of that outbox only: the channel is
-- `outbox.<schema>`, which each relay LISTENs on for the outbox its connection sees.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox.' || TG_TABLE_SCHEMA, '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON store.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- The migration role (and an operator's psql) sees every service's tables unqualified; public
-- comes first, so it is where a table named without its schema would land. Services set their
-- own search_path.
DO $$
BEGIN
    EXECUTE format(
        'ALTER DATABASE %I SET search_path = public, store, ordering, accounting, chatbot',
        current_database()
    );
END
$$;
