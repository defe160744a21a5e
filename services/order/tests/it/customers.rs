//! Customers made on first contact and their nicknames, over gRPC.

use contracts::order::v1 as pb;
use contracts::order::v1::order_service_client::OrderServiceClient;
use platform::Service;
use platform::grpc::Client;
use testkit::{System, TestDb, TestRedis};
use tonic::Code;

struct Harness {
    system: System,
    db: TestDb,
    _redis: TestRedis,
}

impl Harness {
    async fn start() -> Harness {
        let db = TestDb::new().await.unwrap();
        let redis = TestRedis::new().await.unwrap();
        let system = System::start(crate::LAUNCH, &[Service::Order], &db, &redis)
            .await
            .unwrap();
        Harness {
            system,
            db,
            _redis: redis,
        }
    }

    fn order(&self) -> OrderServiceClient<Client> {
        self.system.order()
    }

    async fn contact(
        &self,
        bot_user_key: &str,
        plusfriend: &str,
    ) -> pb::GetOrCreateCustomerResponse {
        self.order()
            .get_or_create_customer(pb::GetOrCreateCustomerRequest {
                bot_user_key: bot_user_key.into(),
                plusfriend_user_key: plusfriend.into(),
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn set_nickname(
        &self,
        customer_id: &str,
        nickname: &str,
    ) -> Result<pb::Customer, tonic::Status> {
        self.order()
            .set_nickname(pb::SetNicknameRequest {
                customer_id: customer_id.into(),
                nickname: nickname.into(),
            })
            .await
            .map(|r| r.into_inner().customer.unwrap())
    }

    async fn nickname(&self, customer_id: &str) -> String {
        self.order()
            .get_nickname(pb::GetNicknameRequest {
                customer_id: customer_id.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .nickname
    }
}

#[tokio::test]
async fn a_customer_is_created_once_per_bot_user_key() {
    let h = Harness::start().await;
    let first = h.contact("bot-user-1", "").await;
    assert!(first.created);
    let customer = first.customer.unwrap();
    assert_eq!(customer.bot_user_key, "bot-user-1");
    assert!(customer.nickname.is_empty());
    assert!(customer.created_at.is_some());

    let again = h.contact("bot-user-1", "pf-key-1").await;
    assert!(!again.created);
    let same = again.customer.unwrap();
    assert_eq!(same.customer_id, customer.customer_id);
    assert_eq!(same.plusfriend_user_key, "pf-key-1");
    // A later contact without the plusfriend key keeps the known one.
    let later = h.contact("bot-user-1", "").await.customer.unwrap();
    assert_eq!(later.plusfriend_user_key, "pf-key-1");

    let other = h.contact("bot-user-2", "").await;
    assert!(other.created);
    assert_ne!(other.customer.unwrap().customer_id, customer.customer_id);

    let fetched = h
        .order()
        .get_customer(pb::GetCustomerRequest {
            customer_id: customer.customer_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert_eq!(fetched.customer_id, customer.customer_id);
    assert_eq!(fetched.plusfriend_user_key, "pf-key-1");
}

#[tokio::test]
async fn simultaneous_first_contacts_make_one_customer() {
    let h = Harness::start().await;
    let tasks = (0..10).map(|_| {
        let mut client = h.order();
        tokio::spawn(async move {
            client
                .get_or_create_customer(pb::GetOrCreateCustomerRequest {
                    bot_user_key: "bot-user-race".into(),
                    plusfriend_user_key: String::new(),
                })
                .await
                .unwrap()
                .into_inner()
        })
    });
    let answers: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(answers.iter().filter(|a| a.created).count(), 1);
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| a.customer.as_ref().unwrap().customer_id.clone())
        .collect();
    assert_eq!(ids.len(), 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM customer WHERE bot_user_key = $1")
        .bind("bot-user-race")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn bad_customer_requests_are_refused() {
    let h = Harness::start().await;
    let status = h
        .order()
        .get_or_create_customer(pb::GetOrCreateCustomerRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = h
        .order()
        .get_customer(pb::GetCustomerRequest {
            customer_id: domain::CustomerId::new().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = h
        .order()
        .get_customer(pb::GetCustomerRequest {
            customer_id: "123".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let status = h
        .set_nickname(&domain::CustomerId::new().to_string(), "커피왕")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn nicknames_are_validated_stored_and_cleared() {
    let h = Harness::start().await;
    let id = h
        .contact("bot-user-nick", "")
        .await
        .customer
        .unwrap()
        .customer_id;
    assert_eq!(h.nickname(&id).await, "");

    let customer = h.set_nickname(&id, " 커피 왕 ").await.unwrap();
    assert_eq!(customer.nickname, "커피 왕");
    assert_eq!(h.nickname(&id).await, "커피 왕");

    for (bad, message) in [
        (
            "   ",
            "닉네임을 입력해 주세요. 공백만으로는 정할 수 없어요.",
        ),
        (
            "가나다라마바사아자차카",
            "닉네임은 10자까지 정할 수 있어요.",
        ),
        ("커피\n왕", "닉네임에는 한글, 영문, 숫자만 쓸 수 있어요."),
        ("coffee!", "닉네임에는 한글, 영문, 숫자만 쓸 수 있어요."),
    ] {
        let status = h.set_nickname(&id, bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:?}");
        assert_eq!(status.message(), message);
        assert_eq!(
            h.nickname(&id).await,
            "커피 왕",
            "a refused nickname changes nothing"
        );
    }

    let customer = h.set_nickname(&id, "Neo77").await.unwrap();
    assert_eq!(customer.nickname, "Neo77");
    let customer = h.set_nickname(&id, "").await.unwrap();
    assert_eq!(customer.nickname, "");
    assert_eq!(h.nickname(&id).await, "");
    let stored: Option<String> =
        sqlx::query_scalar("SELECT nickname FROM customer WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, None);
}

#[tokio::test]
async fn a_customer_seen_again_is_answered_as_they_are_now() {
    let h = Harness::start().await;
    let nickname_of = |r: pb::GetOrCreateCustomerResponse| r.customer.unwrap().nickname;
    let id = h
        .contact("bot-user-again", "")
        .await
        .customer
        .unwrap()
        .customer_id;
    assert_eq!(nickname_of(h.contact("bot-user-again", "").await), "");

    // The very next skill call sees a new nickname, and a cleared one.
    h.set_nickname(&id, "커피왕").await.unwrap();
    assert_eq!(nickname_of(h.contact("bot-user-again", "").await), "커피왕");
    h.set_nickname(&id, "").await.unwrap();
    assert_eq!(nickname_of(h.contact("bot-user-again", "").await), "");
}
