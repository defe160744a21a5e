use kakao::LimitError;
use kakao::event_api::*;
use serde_json::json;
use std::collections::BTreeMap;

#[test]
fn request_serializes_like_kakaos_body() {
    let req = EventRequest {
        event: Event::new("order_ready").data("text", "A-17 주문이 준비되었습니다."),
        user: vec![EventUser::bot_user_key("key-1")],
        params: BTreeMap::new(),
    };
    assert_eq!(
        serde_json::to_value(&req).unwrap(),
        json!({"event":{"name":"order_ready","data":{"text":"A-17 주문이 준비되었습니다."}},
               "user":[{"type":"botUserKey","id":"key-1"}]})
    );
    let with_params = EventRequest {
        params: BTreeMap::from([("order_no".to_string(), "A-17".to_string())]),
        user: vec![
            EventUser::plusfriend_user_key("pf"),
            EventUser::app_user_id("42"),
        ],
        ..req
    };
    let v = serde_json::to_value(&with_params).unwrap();
    assert_eq!(v["params"], json!({"order_no":"A-17"}));
    assert_eq!(v["user"][0]["type"], "plusfriendUserKey");
    assert_eq!(v["user"][1]["type"], "appUserId");
    let back: EventRequest = serde_json::from_value(v).unwrap();
    assert_eq!(back, with_params);
}

#[test]
fn batches_split_at_100_users() {
    let users: Vec<_> = (0..250)
        .map(|i| EventUser::bot_user_key(format!("k{i}")))
        .collect();
    let batches = EventRequest::batches(Event::new("e"), users, BTreeMap::new());
    assert_eq!(
        batches.iter().map(|b| b.user.len()).collect::<Vec<_>>(),
        vec![100, 100, 50]
    );
    assert!(
        batches
            .iter()
            .all(|b| b.check().is_ok() && b.event.name == "e")
    );
    assert_eq!(batches[2].user[49].id, "k249");
    assert!(EventRequest::batches(Event::new("e"), vec![], BTreeMap::new()).is_empty());

    let too_many = EventRequest {
        event: Event::new("e"),
        user: (0..101)
            .map(|i| EventUser::bot_user_key(i.to_string()))
            .collect(),
        params: BTreeMap::new(),
    };
    assert_eq!(
        too_many.check(),
        Err(LimitError::TooMany {
            what: "user",
            max: 100,
            got: 101
        })
    );
    let none = EventRequest {
        user: vec![],
        ..too_many
    };
    assert!(none.check().is_err());
}

#[test]
fn responses_and_paths() {
    let r: EventResponse =
        serde_json::from_value(json!({"taskId":"t-1","status":"SUCCESS","extra":1})).unwrap();
    assert_eq!(r.task_id, "t-1");
    assert_eq!(r.status, "SUCCESS");
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"taskId":"t-1","status":"SUCCESS"})
    );
    let t: TaskResult = serde_json::from_value(
        json!({"taskId":"t-1","status":"ALL_SUCCESS","allRequestCount":3,"successCount":"3"}),
    )
    .unwrap();
    assert_eq!(t.success_count, Some(3));
    assert_eq!(talk_path("bot123!"), "/v2/bots/bot123!/talk");
    assert_eq!(task_path("t-1"), "/v1/tasks/t-1");
    assert_eq!(authorization_value("rest"), "KakaoAK rest");
    assert_eq!(parse_authorization("KakaoAK rest"), Some("rest"));
    assert_eq!(parse_authorization("SECRET_KEY rest"), None);
}

#[test]
fn unknown_user_key_type_is_rejected() {
    let bad = json!({"event":{"name":"e"},"user":[{"type":"phone","id":"010"}]});
    assert!(serde_json::from_value::<EventRequest>(bad).is_err());
}
