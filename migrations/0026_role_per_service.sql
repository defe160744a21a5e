-- Each service connects as a role of its own with rights on its own schema's tables only: it
-- can read and write its rows and nothing else, and no service can change the schema; that
-- is the migration role's, which runs `simpleorder migrate` and owns every table.
--
-- Roles belong to the whole Postgres server, not to one database. A role made beforehand by an
-- operator (with its password) is used as it is, so the migration role needs CREATEROLE only
-- when one is missing; on a development server (trust authentication) the roles made here
-- log in without a password. Every database migrated on a server grants to the same roles.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY[
        'simpleorder_store', 'simpleorder_order', 'simpleorder_accounting', 'simpleorder_chatbot'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                -- The migration of another database on the server made it meanwhile.
                NULL;
            END;
        END IF;
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA store TO simpleorder_store;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA store TO simpleorder_store;
ALTER DEFAULT PRIVILEGES IN SCHEMA store
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO simpleorder_store;

GRANT USAGE ON SCHEMA ordering TO simpleorder_order;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ordering TO simpleorder_order;
ALTER DEFAULT PRIVILEGES IN SCHEMA ordering
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO simpleorder_order;

GRANT USAGE ON SCHEMA accounting TO simpleorder_accounting;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA accounting TO simpleorder_accounting;
ALTER DEFAULT PRIVILEGES IN SCHEMA accounting
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO simpleorder_accounting;

GRANT USAGE ON SCHEMA chatbot TO simpleorder_chatbot;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA chatbot TO simpleorder_chatbot;
ALTER DEFAULT PRIVILEGES IN SCHEMA chatbot
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO simpleorder_chatbot;
