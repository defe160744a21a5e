//! gRPC and event contracts of SimpleOrder, generated from `proto/` at build time
//! (protox + tonic-prost-build, no `protoc`).
//!
//! Every package `simpleorder.<name>.v1` is the module `contracts::<name>::v1`.
//! Servers are generated with default stubs: a method the implementation does not
//! override answers `UNIMPLEMENTED`.

/// Shared messages: money, states, the menu document, carts.
pub mod common {
    /// `simpleorder.common.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.common.v1");
    }
}

/// Stream event payloads (the `data` field of a stream entry).
pub mod events {
    /// `simpleorder.events.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.events.v1");
    }

    /// Values of the `type` field of a stream entry, one per event message.
    pub mod types {
        /// `x:order:approval`: [`super::v1::OrderApprovalRequested`].
        pub const ORDER_APPROVAL_REQUESTED: &str = "order.approval_requested";
        /// `x:order:events`: [`super::v1::OrderPlaced`].
        pub const ORDER_PLACED: &str = "order.placed";
        /// `x:order:events`: [`super::v1::OrderReady`].
        pub const ORDER_READY: &str = "order.ready";
        /// `x:order:events`: [`super::v1::OrderAccepted`].
        pub const ORDER_ACCEPTED: &str = "order.accepted";
        /// `x:order:events`: [`super::v1::OrderCanceled`].
        pub const ORDER_CANCELED: &str = "order.canceled";
        /// `x:order:events`: [`super::v1::OrderApprovalFailed`].
        pub const ORDER_APPROVAL_FAILED: &str = "order.approval_failed";
        /// `x:store:{store}:{day}`: [`super::v1::StoreDayEntry`].
        pub const STORE_DAY_ENTRY: &str = "store_day.entry";
        /// `x:store:{store}:{day}`, its first entry: [`super::v1::StoreDayEntry`] holding
        /// [`super::v1::StoreDayOpened`].
        pub const STORE_DAY_OPENED: &str = "store_day.opened";
        /// `x:accounting`: [`super::v1::BusinessDayClosed`].
        pub const BUSINESS_DAY_CLOSED: &str = "business_day.closed";
        /// Menu rebuild: [`super::v1::MenuChanged`].
        pub const MENU_CHANGED: &str = "menu.changed";
    }
}

/// The Redis Streams of DESIGN §4 (without the deployment's key prefix) and their consumer
/// groups. Every service names them from here; a store's day stream is [`day_stream::key`].
pub mod streams {
    /// A confirmed payment to turn into an order.
    pub const ORDER_APPROVAL: &str = "x:order:approval";
    /// Placed, ready, canceled and approval-failed orders.
    pub const ORDER_EVENTS: &str = "x:order:events";
    /// A business day that closed.
    pub const ACCOUNTING: &str = "x:accounting";

    /// Consumer groups, one per reader of a stream.
    pub mod groups {
        /// The order service's approval consumer, on [`super::ORDER_APPROVAL`].
        pub const ORDER_APPROVER: &str = "order-approver";
        /// The order service's read model, on [`super::ORDER_EVENTS`].
        pub const READ_MODEL: &str = "read-model";
        /// The chatbot's customer alerts, on [`super::ORDER_EVENTS`].
        pub const ALERTS: &str = "alerts";
        /// The store service's copy of the stores each customer ordered from, on
        /// [`super::ORDER_EVENTS`].
        pub const RECENT_STORES: &str = "recent-stores";
        /// Closing reconciliation, on [`super::ACCOUNTING`].
        pub const ACCOUNTING: &str = "accounting";
    }
}

/// Redis keys more than one service names (without the deployment's key prefix).
pub mod keys {
    use uuid::Uuid;

    /// Nicknames held by a store's not-yet-handed-over orders of one business day (a set): the
    /// order service keeps it, the store service deletes it when the day closes.
    pub fn nicknames(store_id: Uuid, day_business_id: Uuid) -> String {
        format!("nick:{store_id}:{day_business_id}")
    }
}

/// A store's day stream `x:store:{store}:{day}`: its name, and the event ids of its entries.
///
/// The ids are derived from what an entry reports (the day opening, an order's placement…)
/// rather than drawn at random, so a stream rebuilt from Postgres carries the same ids as the
/// entries the outbox relay publishes, and each fact appears in the stream once.
pub mod day_stream {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use crate::events::v1 as ev;

    /// Namespace of the name-based (v5) ids below.
    const NAMESPACE: Uuid = Uuid::from_u128(0x5e3c_1d2a_8f4b_4c6e_9a7d_0b1c_2d3e_4f50);

    /// The stream key, without the Redis prefix.
    pub fn key(store_id: Uuid, day_business_id: Uuid) -> String {
        format!("x:store:{store_id}:{day_business_id}")
    }

    /// What an entry reports about an order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum OrderFact {
        Placed,
        Accepted,
        Ready,
        Canceled,
    }

    impl OrderFact {
        fn name(self) -> &'static str {
            match self {
                OrderFact::Placed => "placed",
                OrderFact::Accepted => "accepted",
                OrderFact::Ready => "ready",
                OrderFact::Canceled => "canceled",
            }
        }
    }

    /// The day's `opened` entry: the first of its stream, written by the store when the day
    /// begins, or again by the order service (`rebuilt`) heading a stream it rebuilt.
    pub fn opened_entry(
        store_id: Uuid,
        day_business_id: Uuid,
        opened_at: DateTime<Utc>,
        rebuilt: bool,
    ) -> ev::StoreDayEntry {
        ev::StoreDayEntry {
            store_id: store_id.to_string(),
            day_business_id: day_business_id.to_string(),
            entry: Some(ev::store_day_entry::Entry::Opened(ev::StoreDayOpened {
                opened_at: Some(crate::time::timestamp(opened_at)),
                rebuilt,
            })),
        }
    }

    /// The event id of the day's `opened` entry.
    pub fn opened_event_id(day_business_id: Uuid) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("{day_business_id}/opened").as_bytes())
    }

    /// The event id of the entry reporting `fact` of an order.
    pub fn order_event_id(order_id: Uuid, fact: OrderFact) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("{order_id}/{}", fact.name()).as_bytes())
    }
}

pub mod tables;

/// Time on the wire: `google.protobuf.Timestamp` to and from chrono, the one conversion every
/// service uses.
pub mod time {
    use chrono::{DateTime, Utc};
    use prost_types::Timestamp;

    pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
        Timestamp {
            seconds: t.timestamp(),
            nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or(0),
        }
    }

    /// `None` for a timestamp protobuf forbids (nanos outside 0..=999,999,999, negative ones
    /// included, whatever the sign of the seconds) or chrono cannot represent. Before the
    /// epoch the seconds are negative and the nanos still count forward from them.
    pub fn datetime(t: &Timestamp) -> Option<DateTime<Utc>> {
        let nanos = u32::try_from(t.nanos).ok().filter(|n| *n < 1_000_000_000)?;
        DateTime::from_timestamp(t.seconds, nanos)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn at(seconds: i64, nanos: i32) -> Timestamp {
            Timestamp { seconds, nanos }
        }

        #[test]
        fn round_trips_to_the_nanosecond() {
            let t = DateTime::from_timestamp(1_718_165_100, 123_456_789).unwrap();
            assert_eq!(datetime(&timestamp(t)), Some(t));
            let before_epoch = DateTime::from_timestamp(-1, 500_000_000).unwrap();
            assert_eq!(timestamp(before_epoch), at(-1, 500_000_000));
            assert_eq!(datetime(&timestamp(before_epoch)), Some(before_epoch));
        }

        #[test]
        fn nanos_protobuf_forbids_are_no_time() {
            assert_eq!(datetime(&at(1, -1)), None);
            assert_eq!(datetime(&at(-1, -1)), None);
            assert_eq!(datetime(&at(0, i32::MIN)), None);
            assert_eq!(datetime(&at(59, 1_000_000_000)), None, "not a leap second");
            assert_eq!(
                datetime(&at(1, 999_999_999)),
                DateTime::from_timestamp(1, 999_999_999)
            );
            assert_eq!(datetime(&at(0, 0)), Some(DateTime::UNIX_EPOCH));
        }

        #[test]
        fn seconds_chrono_cannot_hold_are_no_time() {
            assert_eq!(datetime(&at(i64::MAX, 0)), None);
            assert_eq!(datetime(&at(i64::MIN, 0)), None);
        }
    }
}

/// A business day's sums on the wire: counts beyond `u32` are sent as `u32::MAX`.
impl From<&domain::day::Summary> for common::v1::DaySummary {
    fn from(s: &domain::day::Summary) -> Self {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        common::v1::DaySummary {
            order_count: count(s.order_count),
            placed_count: count(s.placed_count),
            ready_count: count(s.ready_count),
            canceled_count: count(s.canceled_count),
            failed_count: count(s.failed_count),
            gross: s.gross,
            canceled: s.canceled,
            net: s.net,
        }
    }
}

impl From<&common::v1::DaySummary> for domain::day::Summary {
    fn from(s: &common::v1::DaySummary) -> Self {
        domain::day::Summary {
            order_count: i64::from(s.order_count),
            placed_count: i64::from(s.placed_count),
            ready_count: i64::from(s.ready_count),
            canceled_count: i64::from(s.canceled_count),
            failed_count: i64::from(s.failed_count),
            gross: s.gross,
            canceled: s.canceled,
            net: s.net,
        }
    }
}

/// `store` service: accounts, sessions, the business day, menus, search.
pub mod store {
    /// `simpleorder.store.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.store.v1");
    }
}

/// `order` service: carts, placement, approval, orders, nicknames.
pub mod order {
    /// `simpleorder.order.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.order.v1");
    }
}

/// `payment` service: payment sessions, tokens, KakaoPay.
pub mod payment {
    /// `simpleorder.payment.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.payment.v1");
    }
}

/// `accounting` service: reconciliation and daily reports.
pub mod accounting {
    /// `simpleorder.accounting.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.accounting.v1");
    }
}

/// `chatbot-skill` service: Kakao skill webhooks.
pub mod chatbot {
    /// `simpleorder.chatbot.v1`
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod v1 {
        tonic::include_proto!("simpleorder.chatbot.v1");
    }
}

/// The encoded `FileDescriptorSet` of every proto (imports included), for
/// gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/simpleorder_descriptor.bin"));

/// The menu's `Option` message, renamed so it never shadows [`std::option::Option`].
pub use common::v1::Option as MenuOption;
pub use common::v1::{
    Cart, CartLine, Category, DayState, DaySummary, Item, LineOption, Menu, Money, OptionCategory,
    OrderStatus, PaymentRedirect, Selection,
};

/// gRPC clients, one per service.
pub mod clients {
    pub use crate::accounting::v1::accounting_service_client::AccountingServiceClient;
    pub use crate::chatbot::v1::chatbot_skill_service_client::ChatbotSkillServiceClient;
    pub use crate::order::v1::order_service_client::OrderServiceClient;
    pub use crate::payment::v1::payment_service_client::PaymentServiceClient;
    pub use crate::store::v1::store_service_client::StoreServiceClient;
}

/// gRPC server traits and their tower services, one per service.
pub mod servers {
    pub use crate::accounting::v1::accounting_service_server::{
        AccountingService, AccountingServiceServer,
    };
    pub use crate::chatbot::v1::chatbot_skill_service_server::{
        ChatbotSkillService, ChatbotSkillServiceServer,
    };
    pub use crate::order::v1::order_service_server::{OrderService, OrderServiceServer};
    pub use crate::payment::v1::payment_service_server::{PaymentService, PaymentServiceServer};
    pub use crate::store::v1::store_service_server::{StoreService, StoreServiceServer};
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn event_round_trip() {
        let line = CartLine {
            line_id: "l1".into(),
            item_id: "0190a0b2-0000-7000-8000-000000000001".into(),
            item_name: "아메리카노".into(),
            options: vec![LineOption {
                option_id: "0190a0b2-0000-7000-8000-000000000002".into(),
                selection_id: "0190a0b2-0000-7000-8000-000000000003".into(),
                name: "샷 추가".into(),
                price: 500,
                selection_name: "샷".into(),
            }],
            quantity: 2,
            unit_price: 4_500,
            line_total: 9_000,
        };
        let entry = events::v1::StoreDayEntry {
            store_id: "s".into(),
            day_business_id: "d".into(),
            entry: Some(events::v1::store_day_entry::Entry::Placed(
                events::v1::StoreDayPlaced {
                    order: Some(events::v1::BoardOrder {
                        order_id: "o".into(),
                        nickname: "빠른 고양이".into(),
                        lines: vec![line.clone()],
                        total: 9_000,
                        placed_at: ts(1_700_000_000),
                    }),
                },
            )),
        };
        let bytes = entry.encode_to_vec();
        let back = events::v1::StoreDayEntry::decode(bytes.as_slice()).unwrap();
        assert_eq!(back, entry);

        let requested = events::v1::OrderApprovalRequested {
            order_id: "o".into(),
            tid: "T1234567890123456789".into(),
            amount: 9_000,
            lines: vec![line],
            requested_at: ts(1_700_000_001),
            ..Default::default()
        };
        let back = events::v1::OrderApprovalRequested::decode(requested.encode_to_vec().as_slice())
            .unwrap();
        assert_eq!(back, requested);
    }

    #[test]
    fn day_sums_round_trip_and_saturate_counts() {
        let sums = domain::day::Summary {
            order_count: 3,
            placed_count: 1,
            ready_count: 1,
            canceled_count: 1,
            failed_count: 2,
            gross: 30_000,
            canceled: 9_000,
            net: 21_000,
        };
        assert_eq!(domain::day::Summary::from(&DaySummary::from(&sums)), sums);
        let huge = domain::day::Summary {
            order_count: i64::MAX,
            ..sums
        };
        assert_eq!(DaySummary::from(&huge).order_count, u32::MAX);
    }

    #[test]
    fn day_stream_ids_name_one_fact_each() {
        use day_stream::{OrderFact, opened_event_id, order_event_id};
        let order = uuid::Uuid::from_u128(7);
        let again = order_event_id(order, OrderFact::Placed);
        assert_eq!(order_event_id(order, OrderFact::Placed), again);
        assert_ne!(order_event_id(order, OrderFact::Ready), again);
        assert_ne!(
            order_event_id(uuid::Uuid::from_u128(8), OrderFact::Placed),
            again
        );
        assert_ne!(opened_event_id(order), again);
    }

    #[test]
    fn enums_strip_prefixes() {
        assert_eq!(DayState::Open.as_str_name(), "DAY_STATE_OPEN");
        assert_eq!(
            OrderStatus::from_str_name("ORDER_STATUS_PLACED"),
            Some(OrderStatus::Placed)
        );
        assert_eq!(DayState::default(), DayState::Unspecified);
    }

    #[test]
    fn descriptor_set_is_embedded() {
        let fds = prost_types::FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
        let names: Vec<_> = fds.file.iter().filter_map(|f| f.name.as_deref()).collect();
        for want in [
            "google/protobuf/timestamp.proto",
            "simpleorder/common/v1/common.proto",
            "simpleorder/events/v1/events.proto",
            "simpleorder/store/v1/store.proto",
            "simpleorder/order/v1/order.proto",
            "simpleorder/payment/v1/payment.proto",
            "simpleorder/accounting/v1/accounting.proto",
            "simpleorder/chatbot/v1/chatbot.proto",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
    }

    struct Empty;

    impl servers::OrderService for Empty {}
    impl servers::StoreService for Empty {}

    #[tokio::test]
    async fn default_stubs_are_unimplemented() {
        let status = servers::OrderService::mark_ready(
            &Empty,
            tonic::Request::new(order::v1::MarkReadyRequest::default()),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unimplemented);

        let status = servers::StoreService::get_menu(
            &Empty,
            tonic::Request::new(store::v1::GetMenuRequest::default()),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unimplemented);
    }
}
