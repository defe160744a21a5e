-- An approval URL visited again after Redis lost its token (and the remembered verdict) finds
-- its order by the KakaoPay pg_token the URL carries, which the APPROVING row records.
CREATE INDEX customer_order_pg_token_idx
    ON customer_order ((payment_session ->> 'pg_token'))
    WHERE payment_session IS NOT NULL;
