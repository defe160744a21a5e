//! The business day over gRPC: every state × action, what each transition persists (history,
//! the Redis state hash, GEO membership), closing rules, and recovery when Redis loses the copy.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use common::Harness;
use contracts::common::v1::DayState as S;
use contracts::store::v1 as pb;
use contracts::store::v1::DayAction as A;
use store::StoreSettings;
use tonic::Code;
use uuid::Uuid;

const ACTIONS: [A; 6] = [
    A::Ready,
    A::Open,
    A::Break,
    A::Resume,
    A::StartClosing,
    A::Close,
];

/// Every state a store can be in, with the actions that lead there from a new store.
fn paths() -> Vec<(&'static str, S, Vec<A>)> {
    vec![
        ("no day yet", S::Closed, vec![]),
        ("preparing", S::Preparing, vec![A::Ready]),
        ("open", S::Open, vec![A::Ready, A::Open]),
        ("break", S::Break, vec![A::Ready, A::Open, A::Break]),
        (
            "closing",
            S::Closing,
            vec![A::Ready, A::Open, A::StartClosing],
        ),
        (
            "closed",
            S::Closed,
            vec![A::Ready, A::Open, A::StartClosing, A::Close],
        ),
    ]
}

/// The legal moves, written out independently of the domain crate.
fn expected(from: &str, action: A) -> Option<S> {
    match (from, action) {
        ("no day yet" | "closed", A::Ready) => Some(S::Preparing),
        ("preparing", A::Open) => Some(S::Open),
        ("open", A::Break) => Some(S::Break),
        ("break" | "closing", A::Resume) => Some(S::Open),
        ("open" | "break", A::StartClosing) => Some(S::Closing),
        ("closing", A::Close) => Some(S::Closed),
        _ => None,
    }
}

fn state_of(day: &pb::BusinessDay) -> S {
    S::try_from(day.state).unwrap()
}

fn allowed(day: &pb::BusinessDay) -> Vec<A> {
    day.allowed_actions
        .iter()
        .map(|a| A::try_from(*a).unwrap())
        .collect()
}

async fn history(h: &Harness, store_id: &str) -> Vec<(Option<String>, String)> {
    sqlx::query_as(
        "SELECT from_state, to_state FROM business_history WHERE store_id = $1::uuid ORDER BY at, id",
    )
    .bind(store_id)
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

async fn hash(h: &Harness, store_id: &str) -> HashMap<String, String> {
    let mut conn = h.redis.conn.clone();
    redis::cmd("HGETALL")
        .arg(h.keys.key(&format!("store:{store_id}:state")))
        .query_async(&mut conn)
        .await
        .unwrap()
}

async fn in_geo(h: &Harness, store_id: &str) -> bool {
    let mut conn = h.redis.conn.clone();
    let score: Option<f64> = redis::cmd("ZSCORE")
        .arg(h.keys.key("stores:geo"))
        .arg(store_id)
        .query_async(&mut conn)
        .await
        .unwrap();
    score.is_some()
}

async fn get_day(h: &Harness, store_id: &str) -> pb::BusinessDay {
    h.client()
        .get_day(pb::GetDayRequest {
            store_id: store_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .day
        .unwrap()
}

fn no_wait() -> StoreSettings {
    StoreSettings {
        close_wait: Duration::ZERO,
        ..StoreSettings::default()
    }
}

#[tokio::test]
async fn every_state_and_action_through_grpc() {
    let h = Harness::start_with(no_wait()).await;
    let mut n = 0;
    for (from, state, path) in paths() {
        for action in ACTIONS {
            n += 1;
            let store_id = h
                .create_store(&format!("표 가게 {n}"), &format!("table{n}"), 37.5, 127.0)
                .await
                .store
                .unwrap()
                .store_id;
            for step in &path {
                let r = h.transition(&store_id, *step).await;
                assert!(
                    r.refusal.is_none(),
                    "{from}: setting up {step:?}: {:?}",
                    r.refusal
                );
            }
            let before = get_day(&h, &store_id).await;
            assert_eq!(state_of(&before), state, "{from}");
            let history_before = history(&h, &store_id).await;
            let hash_before = hash(&h, &store_id).await;

            let r = h.transition(&store_id, action).await;
            let cell = format!("{from} + {action:?}");
            let day = r.day.clone().expect("the day comes back either way");
            match expected(from, action) {
                Some(to) => {
                    assert!(r.refusal.is_none(), "{cell}: refused {:?}", r.refusal);
                    assert_eq!(state_of(&day), to, "{cell}");
                    let rows = history(&h, &store_id).await;
                    assert_eq!(
                        rows.len(),
                        history_before.len() + 1,
                        "{cell}: one history row"
                    );
                    let (row_from, row_to) = rows.last().unwrap();
                    assert_eq!(
                        row_to,
                        to.as_str_name().trim_start_matches("DAY_STATE_"),
                        "{cell}"
                    );
                    let from_code = (!history_before.is_empty() && from != "closed").then(|| {
                        state
                            .as_str_name()
                            .trim_start_matches("DAY_STATE_")
                            .to_owned()
                    });
                    assert_eq!(row_from, &from_code, "{cell}");
                    let live = hash(&h, &store_id).await;
                    assert_eq!(
                        live.get("state").map(String::as_str),
                        Some(to.as_str_name().trim_start_matches("DAY_STATE_")),
                        "{cell}: Redis hash"
                    );
                    assert_eq!(
                        in_geo(&h, &store_id).await,
                        matches!(to, S::Open | S::Break),
                        "{cell}: GEO membership"
                    );
                    assert_eq!(get_day(&h, &store_id).await, day, "{cell}: GetDay agrees");
                }
                None => {
                    let refusal = r.refusal.expect(&cell);
                    assert_eq!(
                        refusal.reason,
                        pb::RefusalReason::IllegalTransition as i32,
                        "{cell}"
                    );
                    assert_eq!(refusal.current_state, state as i32, "{cell}");
                    assert!(!refusal.message.is_empty(), "{cell}");
                    assert_eq!(day, before, "{cell}: day unchanged");
                    assert_eq!(history(&h, &store_id).await, history_before, "{cell}");
                    assert_eq!(hash(&h, &store_id).await, hash_before, "{cell}");
                }
            }
            let legal: Vec<A> = ACTIONS
                .into_iter()
                .filter(|a| expected(from, *a).is_some())
                .collect();
            assert_eq!(allowed(&before), legal, "{from}: allowed actions");
        }
    }
    h.stop().await;
}

#[tokio::test]
async fn ready_creates_the_day_with_its_stream_key_and_refusals_name_the_state() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("준비 가게", "readyshop", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let login = h.login("readyshop").await.session.unwrap();

    let closed = get_day(&h, &store_id).await;
    assert_eq!(state_of(&closed), S::Closed);
    assert!(closed.day_business_id.is_empty());
    assert_eq!(allowed(&closed), vec![A::Ready]);

    let r = h
        .client()
        .transition_day(pb::TransitionDayRequest {
            store_id: store_id.clone(),
            action: A::Ready as i32,
            account_id: login.account_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let day = r.day.unwrap();
    assert_eq!(state_of(&day), S::Preparing);
    assert_eq!(
        day.stream_key,
        format!("x:store:{store_id}:{}", day.day_business_id)
    );
    assert!(day.prepared_at.is_some());
    let (state, stream_key, actor): (String, String, String) = sqlx::query_as(
        "SELECT d.state, d.stream_key, h.actor FROM day_business d \
         JOIN business_history h ON h.day_business_id = d.id WHERE d.id = $1::uuid",
    )
    .bind(&day.day_business_id)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), stream_key.as_str()),
        ("PREPARING", day.stream_key.as_str())
    );
    assert_eq!(actor, "readyshop", "history records who moved the day");
    // The day stream begins with its `opened` entry, so a reader can tell it lost nothing.
    let stream = h.keys.key(&day.stream_key);
    let first = testkit::eventually(Duration::from_secs(10), || {
        let mut conn = h.redis.conn.clone();
        let stream = stream.clone();
        async move {
            let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(&stream)
                .arg("-")
                .arg("+")
                .query_async(&mut conn)
                .await
                .ok()?;
            (!entries.ids.is_empty()).then_some(entries.ids)
        }
    })
    .await
    .expect("the opened entry is published");
    assert_eq!(first.len(), 1);
    let kind: String = first[0].get("type").unwrap();
    assert_eq!(kind, contracts::events::types::STORE_DAY_OPENED);
    let event_id: String = first[0].get("event_id").unwrap();
    assert_eq!(
        event_id,
        contracts::day_stream::opened_event_id(day.day_business_id.parse().unwrap()).to_string()
    );

    let refusal = h.transition(&store_id, A::Break).await.refusal.unwrap();
    assert!(refusal.message.contains("준비"), "{}", refusal.message);
    assert_eq!(refusal.current_state, S::Preparing as i32);

    let err = h
        .client()
        .transition_day(pb::TransitionDayRequest {
            store_id: store_id.clone(),
            action: A::Unspecified as i32,
            account_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = h
        .client()
        .get_day(pb::GetDayRequest {
            store_id: Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = h
        .client()
        .transition_day(pb::TransitionDayRequest {
            store_id: Uuid::now_v7().to_string(),
            action: A::Ready as i32,
            account_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    h.stop().await;
}

#[tokio::test]
async fn two_readies_at_once_make_one_day() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("동시 가게", "racer", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let (a, b) = tokio::join!(
        h.transition(&store_id, A::Ready),
        h.transition(&store_id, A::Ready)
    );
    assert_eq!(
        [a.refusal.is_none(), b.refusal.is_none()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1
    );
    let days: i64 =
        sqlx::query_scalar("SELECT count(*) FROM day_business WHERE store_id = $1::uuid")
            .bind(&store_id)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(days, 1);
    h.stop().await;
}

/// An order of the day as the order service records it, placed now and, unless still PLACED,
/// finished now.
async fn insert_order(
    h: &Harness,
    store_id: &str,
    day_id: &str,
    status: &'static str,
    total: i64,
) -> Uuid {
    let now = Some(chrono::Utc::now());
    let at = |s: &str| (status == s).then_some(now).flatten();
    let order = order::testing::Order {
        id: Uuid::now_v7(),
        store_id: store_id.parse().unwrap(),
        day_business_id: day_id.parse().unwrap(),
        status,
        nickname: "행복한 판다".into(),
        total,
        placed_at: now,
        ready_at: at("READY"),
        canceled_at: at("CANCELED"),
        failed_at: at("FAILED"),
        ..Default::default()
    };
    order::testing::insert(&h.db.pool, &order, "", &[])
        .await
        .unwrap();
    order.id
}

#[tokio::test]
async fn close_is_refused_while_an_order_is_open_then_writes_the_summary() {
    let h = Harness::start_with(no_wait()).await;
    let store_id = h
        .create_store("마감 가게", "closer", 37.5, 127.0)
        .await
        .store
        .unwrap()
        .store_id;
    for step in [A::Ready, A::Open, A::StartClosing] {
        assert!(h.transition(&store_id, step).await.refusal.is_none());
    }
    let day_id = get_day(&h, &store_id).await.day_business_id;
    let open = insert_order(&h, &store_id, &day_id, "PLACED", 5_000).await;
    insert_order(&h, &store_id, &day_id, "READY", 4_500).await;
    insert_order(&h, &store_id, &day_id, "CANCELED", 3_000).await;
    insert_order(&h, &store_id, &day_id, "FAILED", 9_900).await;

    let r = h.transition(&store_id, A::Close).await;
    let refusal = r.refusal.unwrap();
    assert_eq!(refusal.reason, pb::RefusalReason::OpenOrders as i32);
    assert_eq!(refusal.open_order_ids, vec![open.to_string()]);
    assert_eq!(refusal.current_state, S::Closing as i32);
    assert!(refusal.message.contains("1건"), "{}", refusal.message);
    assert_eq!(state_of(&r.day.unwrap()), S::Closing);

    order::testing::mark_ready(&h.db.pool, open, "", &[])
        .await
        .unwrap();
    let r = h.transition(&store_id, A::Close).await;
    assert!(r.refusal.is_none(), "{:?}", r.refusal);
    let day = r.day.unwrap();
    assert_eq!(state_of(&day), S::Closed);
    assert!(day.day_business_id.is_empty(), "no live day once closed");
    assert!(day.closed_at.is_some());
    let summary = day.summary.unwrap();
    assert_eq!(
        (
            summary.order_count,
            summary.ready_count,
            summary.canceled_count,
            summary.failed_count
        ),
        (3, 2, 1, 1)
    );
    assert_eq!(
        (summary.gross, summary.canceled, summary.net),
        (12_500, 3_000, 9_500)
    );
    assert_eq!(get_day(&h, &store_id).await.summary, Some(summary));
    assert!(!in_geo(&h, &store_id).await);

    let (stream, event_type): (String, String) =
        sqlx::query_as("SELECT stream, event_type FROM store.outbox WHERE stream = 'x:accounting'")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (stream.as_str(), event_type.as_str()),
        ("x:accounting", "business_day.closed")
    );
    h.stop().await;
}

#[tokio::test]
async fn close_waits_for_the_payment_window_since_closing_began() {
    let h = Harness::start_with(StoreSettings {
        close_wait: Duration::from_millis(1_500),
        ..StoreSettings::default()
    })
    .await;
    let store_id = h
        .create_store("기다림 가게", "waiter", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    for step in [A::Ready, A::Open, A::StartClosing] {
        assert!(h.transition(&store_id, step).await.refusal.is_none());
    }
    let day = get_day(&h, &store_id).await;
    let closing_at = day.closing_at.unwrap();
    let possible_at = day.close_possible_at.unwrap();
    let wait_ms = (possible_at.seconds - closing_at.seconds) * 1000
        + i64::from(possible_at.nanos - closing_at.nanos) / 1_000_000;
    assert_eq!(wait_ms, 1_500);

    let refusal = h.transition(&store_id, A::Close).await.refusal.unwrap();
    assert_eq!(refusal.reason, pb::RefusalReason::PaymentWindow as i32);
    assert_eq!(refusal.possible_at, Some(possible_at));
    assert!(
        refusal.message.contains("마감할 수 없습니다"),
        "{}",
        refusal.message
    );

    // Resuming and closing again starts a new window.
    assert!(h.transition(&store_id, A::Resume).await.refusal.is_none());
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    assert!(
        h.transition(&store_id, A::StartClosing)
            .await
            .refusal
            .is_none()
    );
    let refusal = h.transition(&store_id, A::Close).await.refusal.unwrap();
    assert_eq!(refusal.reason, pb::RefusalReason::PaymentWindow as i32);

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let r = h.transition(&store_id, A::Close).await;
    assert!(r.refusal.is_none(), "{:?}", r.refusal);
    h.stop().await;
}

#[tokio::test]
async fn the_default_window_is_the_payment_window_plus_a_margin() {
    let h = Harness::start().await;
    let store_id = h
        .create_store("기본 가게", "defaults", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    for step in [A::Ready, A::Open, A::StartClosing] {
        h.transition(&store_id, step).await;
    }
    let refusal = h.transition(&store_id, A::Close).await.refusal.unwrap();
    assert_eq!(refusal.reason, pb::RefusalReason::PaymentWindow as i32);
    let day = get_day(&h, &store_id).await;
    let wait = refusal.possible_at.unwrap().seconds - day.closing_at.unwrap().seconds;
    assert!(wait > 15 * 60, "{wait}");
    h.stop().await;
}

#[tokio::test]
async fn a_lost_redis_copy_is_rebuilt_from_postgres() {
    let h = Harness::start_with(StoreSettings {
        reconcile_interval: Duration::from_millis(200),
        ..StoreSettings::default()
    })
    .await;
    let store_id = h
        .create_store("복구 가게", "rebuild", 37.5, 127.0)
        .await
        .store
        .unwrap()
        .store_id;
    for step in [A::Ready, A::Open] {
        h.transition(&store_id, step).await;
    }
    let before = get_day(&h, &store_id).await;
    let mut conn = h.redis.conn.clone();
    let wipe = || {
        let mut conn = conn.clone();
        let state = h.keys.key(&format!("store:{store_id}:state"));
        let geo = h.keys.key("stores:geo");
        async move {
            redis::cmd("DEL")
                .arg(state)
                .arg(geo)
                .query_async::<()>(&mut conn)
                .await
                .unwrap();
        }
    };

    // A read rebuilds it at once ...
    wipe().await;
    assert_eq!(get_day(&h, &store_id).await, before);
    assert_eq!(
        hash(&h, &store_id).await.get("state").map(String::as_str),
        Some("OPEN")
    );
    assert!(in_geo(&h, &store_id).await);

    // ... and without any read the reconciler does.
    wipe().await;
    testkit::eventually(Duration::from_secs(5), || async {
        (in_geo(&h, &store_id).await && !hash(&h, &store_id).await.is_empty()).then_some(())
    })
    .await
    .unwrap();
    let _: () = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    h.stop().await;
}

#[tokio::test]
async fn close_removes_the_live_state_nicknames_included() {
    let h = Harness::start_with(no_wait()).await;
    let store_id = h
        .create_store("정리 가게", "tidy", 37.5, 127.0)
        .await
        .store
        .unwrap()
        .store_id;
    for step in [A::Ready, A::Open] {
        assert!(h.transition(&store_id, step).await.refusal.is_none());
    }
    let day_id = get_day(&h, &store_id).await.day_business_id;
    let nicknames = h.keys.key(&format!("nick:{store_id}:{day_id}"));
    let mut conn = h.redis.conn.clone();
    let _: () = redis::cmd("SADD")
        .arg(&nicknames)
        .arg("행복한 판다")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(in_geo(&h, &store_id).await);

    for step in [A::StartClosing, A::Close] {
        assert!(h.transition(&store_id, step).await.refusal.is_none());
    }
    let exists: bool = redis::cmd("EXISTS")
        .arg(&nicknames)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!exists, "the day's nickname set is gone");
    assert!(!in_geo(&h, &store_id).await);
    // What stays is a CLOSED tombstone that expires by itself.
    assert_eq!(
        hash(&h, &store_id).await.get("state").map(String::as_str),
        Some("CLOSED")
    );
    let ttl: i64 = redis::cmd("PTTL")
        .arg(h.keys.key(&format!("store:{store_id}:state")))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0, "{ttl}");
    h.stop().await;
}
