//! P2: whole orders through the public paths (담기 → 결제하기 → KakaoPay page → approval URL),
//! and the SQL floor: the order service's two transactions of one order run directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chaos::customer::{Customer, Outcome, Shop};
use sqlx::PgPool;
use tokio::sync::Mutex;
use tokio::time::Instant;
use uuid::Uuid;

use crate::load::{self, Run};
use crate::stats::Samples;

/// Everything a customer needs to order.
#[derive(Clone)]
pub struct Way {
    pub http: reqwest::Client,
    pub gateway: String,
    pub sandbox: String,
}

impl Way {
    /// One order by a new customer; paid → PLACED: from KakaoPay's redirect to the approval
    /// URL answering "주문 접수".
    pub async fn order(&self, shop: &Shop, item: &str) -> Result<Duration, String> {
        let customer = Customer::new(&self.http, &self.gateway, &self.sandbox);
        let cart = customer
            .add(&shop.store_id, item)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let tid = customer
            .pay(customer.pay_request(&cart))
            .await
            .map_err(|e| format!("{e:?}"))?;
        let approval = customer
            .approve_on_page(&tid)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let paid = Instant::now();
        match customer.result_once(&approval).await {
            Outcome::Placed => Ok(paid.elapsed()),
            other => Err(format!("{other:?}")),
        }
    }
}

pub struct Orders {
    pub run: Run,
    pub paid_to_placed: Samples,
    pub first_error: Option<String>,
}

/// `customers` ordering back to back for `duration`, across `shops`.
pub async fn drive(
    way: &Way,
    shops: &Arc<Vec<Shop>>,
    customers: usize,
    duration: Duration,
) -> Orders {
    let placed = Arc::new(Mutex::new(Samples::default()));
    let first_error = Arc::new(Mutex::new(None));
    let (way2, shops2, placed2, error2) = (
        way.clone(),
        shops.clone(),
        placed.clone(),
        first_error.clone(),
    );
    let run = load::closed_loop(customers, duration, move |i| {
        let (way, shops, placed, error) = (
            way2.clone(),
            shops2.clone(),
            placed2.clone(),
            error2.clone(),
        );
        async move {
            let shop = &shops[i as usize % shops.len()];
            let item = &shop.items[(i as usize / shops.len()) % shop.items.len()];
            match way.order(shop, item).await {
                Ok(latency) => {
                    placed.lock().await.push(latency);
                    true
                }
                Err(e) => {
                    error.lock().await.get_or_insert(e);
                    false
                }
            }
        }
    })
    .await;
    let paid_to_placed = std::mem::take(&mut *placed.lock().await);
    let first_error = first_error.lock().await.take();
    Orders {
        run,
        paid_to_placed,
        first_error,
    }
}

/// Exactly `count` orders at `shop` with `customers` at a time (a business day's worth).
pub async fn fill_day(way: &Way, shop: &Shop, count: usize, customers: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let placed = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..customers {
        let (way, shop, next, placed) = (way.clone(), shop.clone(), next.clone(), placed.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let item = &shop.items[placed.load(Ordering::Relaxed) % shop.items.len()];
                if way.order(&shop, item).await.is_ok() {
                    placed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    placed.load(Ordering::Relaxed)
}

/// A placed order's rows, copied by every floor order.
#[derive(Clone, sqlx::FromRow)]
pub struct Template {
    store_id: Uuid,
    day_business_id: Uuid,
    customer_id: Uuid,
    nickname: Option<String>,
    total: i64,
    cart_id: String,
    cart_snapshot: serde_json::Value,
    payment_session: Option<serde_json::Value>,
    item_id: Uuid,
    name: String,
    unit_price: i64,
    quantity: i32,
    line_total: i64,
}

impl Template {
    pub async fn read(pool: &PgPool) -> Result<Template, sqlx::Error> {
        sqlx::query_as(
            "SELECT o.store_id, o.day_business_id, o.customer_id, o.nickname, o.total, \
                    o.cart_id, o.cart_snapshot, o.payment_session, \
                    i.item_id, i.name, i.unit_price, i.quantity, i.line_total \
             FROM customer_order o JOIN order_item i ON i.order_id = o.id \
             WHERE o.placed_at IS NOT NULL ORDER BY o.created_at DESC LIMIT 1",
        )
        .fetch_one(pool)
        .await
    }
}

/// The order service's two transactions of one order, statement for statement: the approval
/// URL's APPROVING row with its line and event, then PLACED with its payment row and events.
/// Events go to a stream no one reads.
async fn floor_order(pool: &PgPool, t: &Template) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let tid = format!("floor-{}", id.simple());
    let mut tx = pool.begin().await?;
    sqlx::query(
        "SELECT d.state, d.stream_key FROM day_business d JOIN store s ON s.id = d.store_id \
         WHERE d.id = $1 AND d.store_id = $2 FOR SHARE OF s",
    )
    .bind(t.day_business_id)
    .bind(t.store_id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO customer_order (id, store_id, day_business_id, customer_id, status, nickname, \
             total, cart_id, cart_snapshot, payment_tid, payment_session, approving_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now()) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(t.store_id)
    .bind(t.day_business_id)
    .bind(t.customer_id)
    .bind("APPROVING")
    .bind(&t.nickname)
    .bind(t.total)
    .bind(&t.cart_id)
    .bind(&t.cart_snapshot)
    .bind(&tid)
    .bind(&t.payment_session)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_item (id, order_id, item_id, name, unit_price, quantity, \
             line_total, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(t.item_id)
    .bind(&t.name)
    .bind(t.unit_price)
    .bind(t.quantity)
    .bind(t.line_total)
    .bind(0i32)
    .execute(&mut *tx)
    .await?;
    outbox(&mut tx).await?;
    tx.commit().await?;

    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO ordering.processed_event (consumer, event_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind("bench-floor")
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT id FROM customer_order WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query(
        "SELECT o.id, o.store_id, o.day_business_id, o.customer_id, c.bot_user_key, \
         o.status, o.nickname, o.cart_snapshot, o.payment_session, o.failure_reason, o.cancel_reason, \
         o.created_at, o.placed_at, o.ready_at, o.canceled_at, o.failed_at, \
         p.status AS ledger_status, p.amount AS charged, COALESCE(p.canceled_amount, 0) AS refunded \
         FROM customer_order o JOIN customer c ON c.id = o.customer_id \
         LEFT JOIN order_payment p ON p.order_id = o.id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE customer_order SET status = 'PLACED', placed_at = now(), updated_at = now() \
         WHERE id = $1 RETURNING placed_at",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_payment (id, order_id, tid, cid, amount, status, aid, \
             payment_method_type, approved_at, raw) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(id)
    .bind(&tid)
    .bind("TC0ONETIME")
    .bind(t.total)
    .bind("APPROVED")
    .bind("A-floor")
    .bind("MONEY")
    .bind(serde_json::json!({ "tid": tid }))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT stream_key FROM day_business WHERE id = $1")
        .bind(t.day_business_id)
        .fetch_one(&mut *tx)
        .await?;
    outbox(&mut tx).await?;
    outbox(&mut tx).await?;
    tx.commit().await
}

async fn outbox(tx: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ordering.outbox (id, stream, event_type, payload, traceparent) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind("bench:floor")
    .bind("bench.floor")
    .bind(vec![0u8; 160])
    .bind(None::<String>)
    .execute(tx)
    .await?;
    Ok(())
}

/// The floor at `callers` connections for `duration`; a failed order counts as an error.
pub async fn floor(
    database_url: &str,
    template: Template,
    callers: usize,
    duration: Duration,
) -> anyhow::Result<(Run, Option<String>)> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(callers as u32)
        .connect(database_url)
        .await?;
    let first_error = Arc::new(std::sync::Mutex::new(None));
    let (pool2, error2) = (pool.clone(), first_error.clone());
    let template = Arc::new(template);
    let run = load::closed_loop(callers, duration, move |_| {
        let (pool, template, error) = (pool2.clone(), template.clone(), error2.clone());
        async move {
            match floor_order(&pool, &template).await {
                Ok(()) => true,
                Err(e) => {
                    error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e.to_string());
                    false
                }
            }
        }
    })
    .await;
    pool.close().await;
    let error = first_error.lock().unwrap_or_else(|p| p.into_inner()).take();
    Ok((run, error))
}
