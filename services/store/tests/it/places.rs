//! Nearby search from a place name and the store profile, through the kakao-sandbox's Kakao Local
//! API: a place name is resolved once and then served from the cache, a place Kakao does not know
//! or a Kakao Local that does not answer is an outcome rather than an error, and a store created
//! from the CLI is found nearby once it saves its address, at once, wherever it moves.

use std::time::{Duration, Instant};

use contracts::store::v1 as pb;
use platform::Service;
use serde_json::{Value, json};
use testkit::{System, TestDb, TestRedis};

struct Setup {
    system: System,
    db: TestDb,
    _redis: TestRedis,
}

async fn setup() -> anyhow::Result<Setup> {
    let db = TestDb::new().await?;
    let redis = TestRedis::new().await?;
    let system = System::start(
        crate::LAUNCH,
        &[Service::Store, Service::KakaoSandbox],
        &db,
        &redis,
    )
    .await?;
    Ok(Setup {
        system,
        db,
        _redis: redis,
    })
}

impl Setup {
    async fn near(&self, place: &str) -> Result<pb::NearbyStoresByPlaceResponse, tonic::Status> {
        self.system
            .store()
            .nearby_stores_by_place(pb::NearbyStoresByPlaceRequest {
                place: place.to_owned(),
                radius_m: 3_000,
                limit: 10,
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn names_near(&self, place: &str) -> Vec<String> {
        let answer = self.near(place).await.expect("nearby by place");
        assert_eq!(
            answer.lookup,
            pb::PlaceLookup::Found as i32,
            "{place}: {answer:?}"
        );
        answer
            .stores
            .iter()
            .filter_map(|s| s.store.as_ref().map(|s| s.name.clone()))
            .collect()
    }

    async fn sandbox(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.system.sandbox_url());
        let mut request = reqwest::Client::new().request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request
            .send()
            .await
            .expect("sandbox answers")
            .json()
            .await
            .expect("JSON")
    }

    async fn keyword_searches(&self) -> u64 {
        let view = self
            .sandbox(reqwest::Method::GET, "/sandbox/local", None)
            .await;
        view["keyword_searches"].as_u64().expect("count")
    }

    async fn open(&self, store_id: &str) {
        for action in [pb::DayAction::Ready, pb::DayAction::Open] {
            let answer = self
                .system
                .store()
                .transition_day(pb::TransitionDayRequest {
                    store_id: store_id.to_owned(),
                    action: action as i32,
                    account_id: String::new(),
                })
                .await
                .expect("transition")
                .into_inner();
            assert!(answer.refusal.is_none(), "{answer:?}");
        }
    }

    async fn save_profile(
        &self,
        store_id: &str,
        address: &str,
    ) -> Result<pb::UpdateStoreProfileResponse, tonic::Status> {
        self.system
            .store()
            .update_store_profile(pb::UpdateStoreProfileRequest {
                store_id: store_id.to_owned(),
                address: address.to_owned(),
                phone: "02-555-0123".to_owned(),
                description: "새로 연 카페".to_owned(),
                opening_hours: "매일 09:00~20:00".to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

#[tokio::test]
async fn a_place_name_finds_open_stores_near_it_and_kakao_is_asked_once() -> anyhow::Result<()> {
    let s = setup().await?;
    let cafe = s
        .system
        .store()
        .create_store(pb::CreateStoreRequest {
            name: "역 앞 카페".into(),
            login_id: "station-cafe".into(),
            password: "s3cret-pass".into(),
            lat: 37.4979,
            lng: 127.0276,
            ..Default::default()
        })
        .await?
        .into_inner();
    let store_id = cafe.store.expect("store").store_id;
    s.open(&store_id).await;

    let answer = s.near("강남역").await?;
    assert_eq!(answer.lookup, pb::PlaceLookup::Found as i32);
    let place = answer.place.expect("the place");
    assert_eq!(place.name, "강남역 2호선");
    assert!((place.lat - 37.498).abs() < 0.001 && (place.lng - 127.028).abs() < 0.001);
    assert_eq!(answer.stores.len(), 1);
    assert!(
        answer.stores[0].distance_m < 100.0,
        "{:?}",
        answer.stores[0]
    );

    // The same place, however it is spaced, comes from the cache.
    assert_eq!(s.names_near("  강남역 ").await, ["역 앞 카페"]);
    assert_eq!(s.keyword_searches().await, 1);
    // 선릉역 is 2 km away: inside 3 km; 잠실역 is not.
    assert_eq!(s.names_near("선릉역").await, ["역 앞 카페"]);
    assert!(s.names_near("잠실역").await.is_empty());

    // A place Kakao does not know, remembered for a while too.
    for _ in 0..2 {
        let unknown = s.near("없는동네123").await?;
        assert_eq!(unknown.lookup, pb::PlaceLookup::NotFound as i32);
        assert!(unknown.stores.is_empty() && unknown.place.is_none());
    }
    assert_eq!(s.keyword_searches().await, 4);
    // A sentence is no place name; nobody asks Kakao about it.
    let long = s.near(&"가".repeat(61)).await?;
    assert_eq!(long.lookup, pb::PlaceLookup::NotFound as i32);
    assert_eq!(s.keyword_searches().await, 4);
    let empty = s.near("  ").await.expect_err("an empty place");
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    Ok(())
}

#[tokio::test]
async fn kakao_local_down_or_slow_is_unavailable_in_time_and_not_remembered() -> anyhow::Result<()>
{
    let s = setup().await?;
    let faults = "/sandbox/local/faults";
    for fault in ["timeout", "5xx"] {
        s.sandbox(
            reqwest::Method::POST,
            faults,
            Some(json!({ "always": fault })),
        )
        .await;
        let started = Instant::now();
        let answer = s.near("역삼역").await?;
        let took = started.elapsed();
        assert_eq!(
            answer.lookup,
            pb::PlaceLookup::Unavailable as i32,
            "{fault}"
        );
        assert!(
            took < Duration::from_millis(2_500),
            "{fault}: answered after {took:?}, past the chatbot's deadline"
        );
    }
    s.sandbox(reqwest::Method::DELETE, faults, None).await;
    assert!(s.names_near("역삼역").await.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_cli_store_that_saves_its_address_is_found_nearby_and_moves_with_it() -> anyhow::Result<()>
{
    let s = setup().await?;
    // What `simpleorder store create` does: a store without address or location.
    let id = store::admin::create_store(&s.db.pool, "새 카페", "new-cafe", "s3cret-pass")
        .await?
        .to_string();
    s.open(&id).await;
    assert!(s.names_near("강남역").await.is_empty());

    let saved = s.save_profile(&id, "강남대로 396").await?;
    let located = saved.located.expect("located");
    assert_eq!(located.address, "서울 강남구 강남대로 396");
    assert!((located.lat - 37.4979).abs() < 0.001 && (located.lng - 127.0276).abs() < 0.001);
    let store = saved.store.expect("store");
    assert_eq!(store.opening_hours, "매일 09:00~20:00");
    assert_eq!(store.located_address, "서울 강남구 강남대로 396");
    // At once, while the day is open: no waiting for the reconciler.
    assert_eq!(s.names_near("강남역").await, ["새 카페"]);

    s.save_profile(&id, "서울특별시 중구 세종대로 110").await?;
    assert!(s.names_near("강남역").await.is_empty());
    assert_eq!(s.names_near("시청역").await, ["새 카페"]);

    let unknown = s
        .save_profile(&id, "없는로 12345")
        .await
        .expect_err("unknown address");
    assert_eq!(unknown.code(), tonic::Code::InvalidArgument);
    assert!(unknown.message().contains("주소"), "{unknown:?}");
    assert_eq!(s.names_near("시청역").await, ["새 카페"], "nothing changed");

    s.save_profile(&id, "").await?;
    assert!(s.names_near("시청역").await.is_empty());
    Ok(())
}
