//! Store search over gRPC: by Korean name, nearby open stores, recently used stores, each with
//! its live state.

use crate::common;

use common::Harness;
use contracts::common::v1::DayState as S;
use contracts::store::v1 as pb;
use contracts::store::v1::DayAction as A;
use tonic::Code;
use uuid::Uuid;

async fn by_name(h: &Harness, name: &str) -> Result<Vec<pb::StoreSummary>, tonic::Status> {
    h.client()
        .search_stores(pb::SearchStoresRequest {
            name: name.into(),
            limit: 0,
        })
        .await
        .map(|r| r.into_inner().stores)
}

fn names(list: &[pb::StoreSummary]) -> Vec<String> {
    list.iter()
        .map(|s| s.store.as_ref().unwrap().name.clone())
        .collect()
}

fn state(s: &pb::StoreSummary) -> S {
    S::try_from(s.store.as_ref().unwrap().state).unwrap()
}

async fn move_to(h: &Harness, store_id: &str, steps: &[A]) {
    for step in steps {
        let r = h.transition(store_id, *step).await;
        assert!(r.refusal.is_none(), "{step:?}: {:?}", r.refusal);
    }
}

#[tokio::test]
async fn korean_partial_names_find_stores_with_their_state() {
    let h = Harness::start().await;
    let gangnam = h
        .create_store("간편카페 강남점", "gangnam", 37.4979, 127.0276)
        .await
        .store
        .unwrap();
    h.create_store("간편카페 역삼점", "yeoksam", 37.5006, 127.0364)
        .await;
    h.create_store("동네빵집", "bakery", 0.0, 0.0).await;
    h.create_store("100% 주스", "juice", 0.0, 0.0).await;
    move_to(&h, &gangnam.store_id, &[A::Ready, A::Open]).await;

    let cafes = by_name(&h, "카페").await.unwrap();
    let mut found = names(&cafes);
    found.sort();
    assert_eq!(found, ["간편카페 강남점", "간편카페 역삼점"]);

    let hits = by_name(&h, "강남").await.unwrap();
    assert_eq!(names(&hits), ["간편카페 강남점"]);
    let store = hits[0].store.as_ref().unwrap();
    assert_eq!(state(&hits[0]), S::Open);
    assert!(!store.day_business_id.is_empty());
    assert_eq!((store.lat, store.lng), (37.4979, 127.0276));
    assert_eq!(store.address, "서울특별시 강남구");

    let yeoksam = by_name(&h, "역삼").await.unwrap();
    assert_eq!(state(&yeoksam[0]), S::Closed);
    assert!(
        yeoksam[0]
            .store
            .as_ref()
            .unwrap()
            .day_business_id
            .is_empty()
    );

    // Wildcards are literal; no match is an empty list, not an error.
    assert_eq!(names(&by_name(&h, "%").await.unwrap()), ["100% 주스"]);
    assert!(by_name(&h, "없는가게").await.unwrap().is_empty());
    assert_eq!(
        by_name(&h, "  ").await.unwrap_err().code(),
        Code::InvalidArgument
    );
    h.stop().await;
}

#[tokio::test]
async fn nearby_lists_open_stores_nearest_first() {
    let h = Harness::start().await;
    // Around Gangnam station (37.4979, 127.0276).
    let near = h
        .create_store("역 앞 카페", "near", 37.4980, 127.0277)
        .await
        .store
        .unwrap()
        .store_id;
    let mid = h
        .create_store("골목 카페", "mid", 37.5020, 127.0300)
        .await
        .store
        .unwrap()
        .store_id;
    let resting = h
        .create_store("쉬는 카페", "resting", 37.5050, 127.0350)
        .await
        .store
        .unwrap()
        .store_id;
    let far = h
        .create_store("부산 카페", "busan", 35.1796, 129.0756)
        .await
        .store
        .unwrap()
        .store_id;
    let preparing = h
        .create_store("준비 카페", "preparing", 37.4985, 127.0280)
        .await
        .store
        .unwrap()
        .store_id;
    h.create_store("닫은 카페", "closed", 37.4978, 127.0275)
        .await;

    move_to(&h, &near, &[A::Ready, A::Open]).await;
    move_to(&h, &mid, &[A::Ready, A::Open]).await;
    move_to(&h, &resting, &[A::Ready, A::Open, A::Break]).await;
    move_to(&h, &far, &[A::Ready, A::Open]).await;
    move_to(&h, &preparing, &[A::Ready]).await;

    let nearby = |radius_m| {
        let mut client = h.client();
        async move {
            client
                .nearby_stores(pb::NearbyStoresRequest {
                    lat: 37.4979,
                    lng: 127.0276,
                    radius_m,
                    limit: 10,
                })
                .await
                .unwrap()
                .into_inner()
                .stores
        }
    };
    let hits = nearby(2_000).await;
    assert_eq!(names(&hits), ["역 앞 카페", "골목 카페", "쉬는 카페"]);
    let states: Vec<S> = hits.iter().map(state).collect();
    assert_eq!(states, [S::Open, S::Open, S::Break]);
    let distances: Vec<f64> = hits.iter().map(|s| s.distance_m).collect();
    assert!(distances[0] < 20.0, "{distances:?}");
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(distances[2] < 2_000.0);

    // A tighter radius, and a store that starts closing leaves the list.
    assert_eq!(names(&nearby(100).await), ["역 앞 카페"]);
    move_to(&h, &mid, &[A::StartClosing]).await;
    assert_eq!(names(&nearby(2_000).await), ["역 앞 카페", "쉬는 카페"]);

    let err = h
        .client()
        .nearby_stores(pb::NearbyStoresRequest {
            lat: 95.0,
            lng: 127.0,
            radius_m: 100,
            limit: 1,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    h.stop().await;
}

#[tokio::test]
async fn recent_stores_are_the_customers_latest_first() {
    let h = Harness::start().await;
    let first = h
        .create_store("처음 간 카페", "first", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    let latest = h
        .create_store("최근 간 카페", "latest", 0.0, 0.0)
        .await
        .store
        .unwrap()
        .store_id;
    h.create_store("안 간 카페", "never", 0.0, 0.0).await;
    move_to(&h, &latest, &[A::Ready, A::Open]).await;

    let customer = Uuid::now_v7();
    for (store, ago) in [(&first, "2 days"), (&latest, "1 hour")] {
        sqlx::query(
            "INSERT INTO customer_recent_store (customer_id, store_id, last_ordered_at) \
             VALUES ($1, $2::uuid, now() - $3::interval)",
        )
        .bind(customer)
        .bind(store)
        .bind(ago)
        .execute(&h.db.pool)
        .await
        .unwrap();
    }
    let hits = h
        .client()
        .recent_stores(pb::RecentStoresRequest {
            customer_id: customer.to_string(),
            limit: 5,
        })
        .await
        .unwrap()
        .into_inner()
        .stores;
    assert_eq!(names(&hits), ["최근 간 카페", "처음 간 카페"]);
    assert_eq!(
        hits.iter().map(state).collect::<Vec<_>>(),
        [S::Open, S::Closed]
    );
    let (a, b) = (
        hits[0].last_ordered_at.unwrap(),
        hits[1].last_ordered_at.unwrap(),
    );
    assert!(a.seconds - b.seconds > 24 * 3600);

    let none = h
        .client()
        .recent_stores(pb::RecentStoresRequest {
            customer_id: Uuid::now_v7().to_string(),
            limit: 5,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(none.stores.is_empty());
    let err = h
        .client()
        .recent_stores(pb::RecentStoresRequest {
            customer_id: "bot-user".into(),
            limit: 5,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    h.stop().await;
}

#[tokio::test]
async fn get_store_carries_the_live_state() {
    let h = Harness::start().await;
    let created = h.create_store("상태 카페", "stateful", 37.5, 127.0).await;
    let store_id = created.store.unwrap().store_id;
    let get = |id: String| {
        let mut client = h.client();
        async move { client.get_store(pb::GetStoreRequest { store_id: id }).await }
    };
    let closed = get(store_id.clone())
        .await
        .unwrap()
        .into_inner()
        .store
        .unwrap();
    assert_eq!(closed.state, S::Closed as i32);
    move_to(&h, &store_id, &[A::Ready, A::Open, A::Break]).await;
    let on_break = get(store_id.clone())
        .await
        .unwrap()
        .into_inner()
        .store
        .unwrap();
    assert_eq!(on_break.state, S::Break as i32);
    assert_eq!(on_break.name, "상태 카페");
    assert_eq!(
        get(Uuid::now_v7().to_string()).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        get("x".into()).await.unwrap_err().code(),
        Code::InvalidArgument
    );

    // The login is taken now, whatever the store.
    let err = h
        .client()
        .create_store(pb::CreateStoreRequest {
            name: "다른 카페".into(),
            login_id: "stateful".into(),
            password: common::PASSWORD.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    h.stop().await;
}
