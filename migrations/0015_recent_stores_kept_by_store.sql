-- The chatbot's "recent stores" belong to the store service, which keeps them from the
-- order.placed events it consumes (group `recent-stores` on x:order:events); the order service
-- no longer writes them. The customer is the order service's: no foreign key across services.
ALTER TABLE customer_recent_store DROP CONSTRAINT customer_recent_store_customer_id_fkey;
