//! The order service: carts, placement, the approval consumer, orders and their read model.

mod approval;
mod callback;
mod cart;
mod customer;
mod day;
mod day_stream;
mod error;
mod events;
mod favourite;
mod fulfil;
mod grpc;
mod menu;
mod messages;
mod metrics;
mod model;
mod nickname;
mod orders;
mod payment;
mod pb;
mod placement;
mod read;
mod reorder;
mod seal;
mod storage;
mod sweeper;
#[cfg(feature = "test-support")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use contracts::clients::{PaymentServiceClient, StoreServiceClient};
use contracts::streams::{self, groups};
use platform::bus::{Consumer, ConsumerOptions, HandlerError};
use platform::settings::{Problems, Validate, duration, format_duration, number};
use platform::{Config, Runtime, Shutdown};
use tonic::service::Routes;

pub const SERVICE: &str = "order";

/// Policies of the service that tests (and operators) may want to change. Each is an
/// environment variable and a flag (`ORDER_STUCK_AFTER`, `--order-stuck-after`); `Default` is the
/// same values without reading the environment.
#[derive(Debug, Clone, PartialEq, clap::Args)]
#[command(next_help_heading = "Order service")]
pub struct OrderSettings {
    /// An order still APPROVING this long after its last change is settled by asking KakaoPay.
    #[arg(
        id = "order-stuck-after",
        long = "order-stuck-after",
        env = "ORDER_STUCK_AFTER",
        value_name = "DURATION",
        default_value = "2m",
        value_parser = duration()
    )]
    pub stuck_after: Duration,
    /// How often the sweeper looks for orders stuck APPROVING.
    #[arg(
        id = "order-sweep-every",
        long = "order-sweep-every",
        env = "ORDER_SWEEP_EVERY",
        value_name = "DURATION",
        default_value = "30s",
        value_parser = duration()
    )]
    pub sweep_every: Duration,
    /// Longest WaitOrderOutcome wait, whatever the caller asks.
    #[arg(
        id = "order-wait-cap",
        long = "order-wait-cap",
        env = "ORDER_WAIT_CAP",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = duration()
    )]
    pub wait_cap: Duration,
    /// How often WaitOrderOutcome looks at the order again.
    #[arg(
        id = "order-wait-poll",
        long = "order-wait-poll",
        env = "ORDER_WAIT_POLL",
        value_name = "DURATION",
        default_value = "100ms",
        value_parser = duration()
    )]
    pub wait_poll: Duration,
    /// How long a repeated visit of an approval URL waits for the first visit's decision.
    #[arg(
        id = "order-repeat-wait",
        long = "order-repeat-wait",
        env = "ORDER_REPEAT_WAIT",
        value_name = "DURATION",
        default_value = "3s",
        value_parser = duration()
    )]
    pub repeat_wait: Duration,
    /// Approval consumers per replica: each handles one payment at a time.
    #[arg(
        id = "order-approvers",
        long = "order-approvers",
        env = "ORDER_APPROVERS",
        value_name = "N",
        default_value = "2",
        value_parser = number::<usize>()
    )]
    pub approvers: usize,
    /// A failed approval is tried again once its message has been idle this long. It must
    /// exceed the longest approval (KakaoPay approve and the inquiry settling it, bounded by the
    /// payment deadline), or another consumer takes over a message still being handled.
    #[arg(
        id = "order-approval-retry-after",
        long = "order-approval-retry-after",
        env = "ORDER_APPROVAL_RETRY_AFTER",
        value_name = "DURATION",
        default_value = "45s",
        value_parser = duration()
    )]
    pub approval_retry_after: Duration,
    /// Deliveries of an approval message; the last one refunds a payment whose order cannot be
    /// placed, and after it the sweeper is left to settle what is still unclear.
    #[arg(
        id = "order-approval-max-deliveries",
        long = "order-approval-max-deliveries",
        env = "ORDER_APPROVAL_MAX_DELIVERIES",
        value_name = "N",
        default_value = "8",
        value_parser = number::<u64>()
    )]
    pub approval_max_deliveries: u64,
    /// A cart being paid for is kept at least this long: the payment window plus a margin.
    #[arg(
        id = "order-hold-cart",
        long = "order-hold-cart",
        env = "ORDER_HOLD_CART",
        value_name = "DURATION",
        default_value = "17m",
        value_parser = duration()
    )]
    pub hold_cart: Duration,
    /// A board cancel whose refund is still unsettled this long after it was last tried is tried
    /// again. Longer than one refund attempt (the payment deadline), so a live attempt is not
    /// repeated needlessly; repeating is safe, KakaoPay's cancellable-amount guard refunds once.
    #[arg(
        id = "order-refund-retry-after",
        long = "order-refund-retry-after",
        env = "ORDER_REFUND_RETRY_AFTER",
        value_name = "DURATION",
        default_value = "45s",
        value_parser = duration()
    )]
    pub refund_retry_after: Duration,
    /// How often unsettled refunds are looked for.
    #[arg(
        id = "order-refund-sweep-every",
        long = "order-refund-sweep-every",
        env = "ORDER_REFUND_SWEEP_EVERY",
        value_name = "DURATION",
        default_value = "10s",
        value_parser = duration()
    )]
    pub refund_sweep_every: Duration,
    /// How long the chatbot's views of orders stay cached (every change invalidates them).
    #[arg(
        id = "order-read-cache-ttl",
        long = "order-read-cache-ttl",
        env = "ORDER_READ_CACHE_TTL",
        value_name = "DURATION",
        default_value = "60s",
        value_parser = duration()
    )]
    pub read_cache_ttl: Duration,
}

impl Default for OrderSettings {
    fn default() -> OrderSettings {
        OrderSettings {
            stuck_after: Duration::from_secs(2 * 60),
            sweep_every: Duration::from_secs(30),
            wait_cap: Duration::from_secs(10),
            wait_poll: Duration::from_millis(100),
            repeat_wait: Duration::from_secs(3),
            approvers: 2,
            approval_retry_after: payment::MONEY_DEADLINE + Duration::from_secs(15),
            approval_max_deliveries: 8,
            hold_cart: Duration::from_secs((15 + 2) * 60),
            refund_retry_after: payment::MONEY_DEADLINE + Duration::from_secs(15),
            refund_sweep_every: Duration::from_secs(10),
            read_cache_ttl: Duration::from_secs(60),
        }
    }
}

impl Validate for OrderSettings {
    fn check(&self, problems: &mut Problems) {
        let deadline = payment::MONEY_DEADLINE;
        problems.require(self.approval_retry_after > deadline, || {
            format!(
                "ORDER_APPROVAL_RETRY_AFTER ({}) must exceed the payment deadline ({}): an \
                 approval still waiting for KakaoPay would be taken over by another consumer",
                format_duration(self.approval_retry_after),
                format_duration(deadline)
            )
        });
        problems.require(self.refund_retry_after > deadline, || {
            format!(
                "ORDER_REFUND_RETRY_AFTER ({}) must exceed the payment deadline ({}): a refund \
                 still in flight would be started again",
                format_duration(self.refund_retry_after),
                format_duration(deadline)
            )
        });
        problems.non_zero_duration("ORDER_SWEEP_EVERY", self.sweep_every);
        problems.non_zero_duration("ORDER_WAIT_POLL", self.wait_poll);
        problems.non_zero_duration("ORDER_REFUND_SWEEP_EVERY", self.refund_sweep_every);
        problems.at_least_one("ORDER_APPROVERS", self.approvers as u64);
        problems.at_least_one(
            "ORDER_APPROVAL_MAX_DELIVERIES",
            self.approval_max_deliveries,
        );
    }
}

pub async fn serve(config: Config, shutdown: Shutdown) -> Result<(), platform::Error> {
    serve_with(config, OrderSettings::default(), shutdown).await
}

pub async fn serve_with(
    config: Config,
    settings: OrderSettings,
    shutdown: Shutdown,
) -> Result<(), platform::Error> {
    let mut runtime = Runtime::connect(platform::Service::Order, &config, shutdown).await?;
    metrics::init();
    runtime.spawn_relay();
    let me = runtime.identity()?;
    let store =
        StoreServiceClient::new(platform::grpc::client(&me, &config.store.endpoints().url)?);
    let payment = payment::Payment {
        client: PaymentServiceClient::new(platform::grpc::client_with_deadline(
            &me,
            &config.payment.endpoints().url,
            payment::MONEY_DEADLINE,
        )?),
    };
    let keys = storage::OrderKeys(runtime.keys.clone());
    let menus = menu::Menus {
        store: store.clone(),
    };
    let customers = Arc::new(customer::Customers {
        pool: runtime.pool.clone(),
        cache: storage::reads::Cache {
            redis: runtime.redis.clone(),
            keys: keys.clone(),
            ttl: customer::CACHE_TTL,
        },
    });
    let carts = Arc::new(cart::Carts::new(
        runtime.redis.clone(),
        keys.clone(),
        menus.clone(),
    ));
    let nicknames = nickname::Nicknames {
        pool: runtime.pool.clone(),
        redis: runtime.redis.clone(),
        keys: keys.clone(),
    };
    let settled = Arc::new(orders::Settled::default());
    let orders = Arc::new(orders::Orders {
        pool: runtime.pool.clone(),
        wait_cap: settings.wait_cap,
        poll: settings.wait_poll,
        settled: settled.clone(),
    });
    let approver = Arc::new(approval::Approver {
        pool: runtime.pool.clone(),
        payment: payment.clone(),
        nicknames: nicknames.clone(),
        carts: carts.clone(),
        settled,
        max_deliveries: settings.approval_max_deliveries,
    });
    for _ in 0..settings.approvers.max(1) {
        let mut options = ConsumerOptions::new(streams::ORDER_APPROVAL, groups::ORDER_APPROVER);
        options.service = SERVICE;
        options.claim_idle = settings.approval_retry_after;
        options.max_deliveries = settings.approval_max_deliveries;
        // One payment at a time per consumer; more consumers give more at once.
        options.batch = 1;
        let consumer = Consumer::new(&config.redis_url, runtime.keys.clone(), options);
        let approver = approver.clone();
        let handler = move |message: platform::bus::Message| {
            let approver = approver.clone();
            async move {
                approver
                    .handle(&message)
                    .await
                    .map_err(|e| Box::new(e) as HandlerError)
            }
        };
        runtime.spawn_worker(consumer.run(handler, runtime.shutdown.clone()));
    }
    let sweeper = Arc::new(sweeper::Sweeper {
        pool: runtime.pool.clone(),
        payment: payment.clone(),
        approver,
        stuck_after: settings.stuck_after,
        every: settings.sweep_every,
    });
    runtime.spawn_worker(sweeper.run(runtime.shutdown.clone()));
    let reads = Arc::new(read::Reads {
        pool: runtime.pool.clone(),
        days: day::Days {
            store: store.clone(),
        },
        cache: storage::reads::Cache {
            redis: runtime.redis.clone(),
            keys: keys.clone(),
            ttl: settings.read_cache_ttl,
        },
    });
    let read_model = Consumer::new(
        &config.redis_url,
        runtime.keys.clone(),
        ConsumerOptions {
            service: SERVICE,
            ..ConsumerOptions::new(streams::ORDER_EVENTS, groups::READ_MODEL)
        },
    );
    let handler = {
        let reads = reads.clone();
        move |message: platform::bus::Message| {
            let reads = reads.clone();
            async move {
                reads
                    .handle(&message)
                    .await
                    .map_err(|e| Box::new(e) as HandlerError)
            }
        }
    };
    runtime.spawn_worker(read_model.run(handler, runtime.shutdown.clone()));
    // Ends with this function: when the instance stops (or is dropped), so does its work.
    let alive = tokio_util::sync::CancellationToken::new();
    let _instance = alive.clone().drop_guard();
    let fulfilment = Arc::new(fulfil::Fulfilment::new(
        runtime.pool.clone(),
        payment.clone(),
        nicknames.clone(),
        reads.clone(),
        settings.refund_retry_after,
        settings.refund_sweep_every,
        alive,
    ));
    runtime.spawn_worker(fulfilment.clone().run(runtime.shutdown.clone()));

    let reorders = reorder::Reorders {
        reads: reads.clone(),
        carts: carts.clone(),
    };
    let favourites = favourite::Favourites {
        pool: runtime.pool.clone(),
        menus: menus.clone(),
        carts: carts.clone(),
        customers: customers.clone(),
    };
    let order = grpc::OrderGrpc {
        customers: customers.clone(),
        carts: carts.clone(),
        placement: Arc::new(placement::Placement {
            carts: carts.clone(),
            menus,
            days: day::Days {
                store: store.clone(),
            },
            payment: payment.clone(),
            hold_cart: settings.hold_cart,
            in_flight: Arc::default(),
        }),
        callbacks: Arc::new(callback::Callbacks {
            pool: runtime.pool.clone(),
            redis: runtime.redis.clone(),
            keys: keys.clone(),
            payment,
            carts,
            customers,
            nicknames,
            orders: orders.clone(),
            repeat_wait: settings.repeat_wait,
        }),
        orders,
        fulfilment,
        reads,
        day_streams: Arc::new(day_stream::DayStreams {
            pool: runtime.pool.clone(),
            redis: runtime.redis.clone(),
            keys,
            days: day::Days { store },
        }),
        seals: Arc::new(seal::Seals {
            pool: runtime.pool.clone(),
        }),
        reorders,
        favourites,
    };
    let server = contracts::order::v1::order_service_server::OrderServiceServer::new(order);
    runtime
        .run(config.order.endpoints(), Routes::new(server))
        .await
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use platform::settings::parse_from;

    #[test]
    fn a_flag_reaches_its_setting() {
        let settings =
            parse_from::<OrderSettings>(&["--order-stuck-after", "5m", "--order-approvers", "6"])
                .unwrap();
        assert_eq!(settings.stuck_after, Duration::from_secs(300));
        assert_eq!(settings.approvers, 6);
        assert_eq!(settings.sweep_every, OrderSettings::default().sweep_every);
    }

    #[test]
    fn a_retry_shorter_than_the_payment_deadline_is_refused() {
        let settings = OrderSettings {
            approval_retry_after: Duration::from_secs(20),
            sweep_every: Duration::ZERO,
            ..OrderSettings::default()
        };
        let error = settings.validate().unwrap_err().to_string();
        assert!(
            error.contains(
                "ORDER_APPROVAL_RETRY_AFTER (20s) must exceed the payment deadline (30s)"
            ),
            "{error}"
        );
        assert!(error.contains("ORDER_SWEEP_EVERY"), "{error}");
    }
}
