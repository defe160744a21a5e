//! The store's close and resume as this service takes part in them (DESIGN §5): closing seals
//! the day here, and a sealed day takes no approval and no cancel, as a closed one.
//!
//! Approvals and cancels share-lock the day's row and sealing locks it exclusively, so a seal
//! waits for those under way and counts the orders they wrote, and one that comes after the seal
//! sees it and is refused. Sealing is refused while any order of the day is open.

use domain::day::Summary;
use domain::{BusinessDayId, OrderId, StoreId};
use sqlx::PgPool;

use crate::error::OrderError;
use crate::storage::days;

/// What sealing answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealing {
    /// Orders of the day still open, oldest first (at most 100); nothing was sealed.
    Open(Vec<OrderId>),
    /// Nothing is open; asked only to check, so nothing was sealed.
    Closable,
    /// The day is sealed, with its sums.
    Sealed(Summary),
}

pub struct Seals {
    pub pool: PgPool,
}

impl Seals {
    /// Seals the store's day unless an order of it is open; with `seal` false only checks.
    pub async fn seal(
        &self,
        store: StoreId,
        day: BusinessDayId,
        seal: bool,
    ) -> Result<Sealing, OrderError> {
        let mut tx = self.pool.begin().await?;
        if seal {
            days::ensure(&mut tx, store, day).await?;
            if !days::lock(&mut tx, store, day).await? {
                return Err(OrderError::NotFound(
                    "영업일을 찾을 수 없습니다.".to_owned(),
                ));
            }
        }
        let open = days::open_orders(&mut tx, day).await?;
        if !open.is_empty() {
            tx.rollback().await?;
            return Ok(Sealing::Open(open.into_iter().map(OrderId::from).collect()));
        }
        if !seal {
            tx.rollback().await?;
            return Ok(Sealing::Closable);
        }
        days::seal(&mut tx, day).await?;
        let summary = days::summarize(&mut tx, day).await?;
        tx.commit().await?;
        tracing::info!(%store, day_business_id = %day, "business day sealed");
        Ok(Sealing::Sealed(summary))
    }

    /// The store resumed its closing day: approvals and cancels are taken again.
    pub async fn unseal(&self, store: StoreId, day: BusinessDayId) -> Result<(), OrderError> {
        let mut conn = self.pool.acquire().await?;
        days::unseal(&mut conn, store, day).await
    }
}
