//! Orders stuck in APPROVING (the approval message lost with Redis, dead-lettered, or its
//! consumer crashed for good) are settled by asking KakaoPay what really happened (`order`):
//! paid or still approvable → approved and placed as the consumer would; ended unpaid → FAILED.
//! Runs periodically in every replica; claimed rows are stamped so replicas share the work.

use std::sync::Arc;
use std::time::Duration;

use contracts::payment::v1::KakaoPayStatus as S;
use domain::{Money, OrderId, OrderStatus};
use sqlx::PgPool;

use crate::approval::{self, Approver};
use crate::error::OrderError;
use crate::events::Failure;
use crate::payment::Payment;
use crate::storage::orders as db;

/// Orders settled per round; the rest wait for the next.
const BATCH: i64 = 20;

pub struct Sweeper {
    pub pool: PgPool,
    pub payment: Payment,
    pub approver: Arc<Approver>,
    /// An order APPROVING this long since its last change is stuck.
    pub stuck_after: Duration,
    pub every: Duration,
}

impl Sweeper {
    pub async fn run(self: Arc<Self>, shutdown: platform::Shutdown) -> Result<(), platform::Error> {
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = ticker.tick() => {}
            }
            match self.sweep().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "stuck approvals settled"),
                Err(e) => tracing::warn!(error = %e, "sweeping stuck approvals failed"),
            }
        }
    }

    /// One round; how many orders it looked at.
    pub async fn sweep(&self) -> Result<usize, OrderError> {
        let ids = db::claim_stale_approving(&self.pool, self.stuck_after, BATCH).await?;
        for &id in &ids {
            let settled = self.settle(id).await;
            crate::metrics::stuck(settled.is_ok());
            if let Err(e) = settled {
                tracing::warn!(order_id = %id, error = %e, "stuck approval not settled yet");
            }
        }
        Ok(ids.len())
    }

    async fn settle(&self, id: OrderId) -> Result<(), OrderError> {
        let Some(order) = db::find(&self.pool, id).await? else {
            return Ok(());
        };
        if order.status != OrderStatus::Approving {
            return Ok(());
        }
        let Some(payment) = order.payment.clone() else {
            return Err(OrderError::Internal(format!("order {id} has no payment")));
        };
        if order.refund_pending() {
            return self.approver.settle(id, None, false).await;
        }
        let inquiry = self.payment.inquire(&payment.tid).await?;
        tracing::info!(
            order_id = %id,
            status = inquiry.as_ref().map_or("unknown tid", |i| i.raw_status.as_str()),
            "stuck approval inquired"
        );
        let Some(inquiry) = inquiry else {
            return self
                .approver
                .fail(&order, &approval::not_paid("UNKNOWN_TID"), None)
                .await;
        };
        match inquiry.status() {
            S::QuitPayment | S::FailPayment | S::FailAuthPassword => {
                self.approver
                    .fail(&order, &approval::not_paid(&inquiry.raw_status), None)
                    .await
            }
            // Refunded outside this service: nothing is charged, and the order cannot stand.
            S::CancelPayment => {
                let failure = Failure {
                    reason: "결제가 취소되어 주문을 받지 못했어요. 챗봇에서 다시 주문해 주세요."
                        .to_owned(),
                    code: format!("NOT_PAID_{}", inquiry.raw_status),
                    refunded: Money::won(inquiry.canceled_amount),
                };
                self.approver.fail(&order, &failure, None).await
            }
            // Part of the money is still charged and this service never refunds in part: an
            // operator decides, and the order keeps showing up here until then.
            S::PartCancelPayment => Err(OrderError::Internal(format!(
                "order {id} was partly refunded at KakaoPay while approving"
            ))),
            // Paid, or authenticated and still approvable: finish it the consumer's way.
            _ => self.approver.settle(id, None, false).await,
        }
    }
}
