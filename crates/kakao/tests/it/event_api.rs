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
    assert!(r.accepted());
    for status in ["FAIL", "success", "", "QUEUED"] {
        let r: EventResponse =
            serde_json::from_value(json!({"taskId":"t-1","status": status})).unwrap();
        assert!(!r.accepted(), "{status}");
    }
    let t: TaskResult = serde_json::from_value(
        json!({"taskId":"t-1","status":"ALL SUCCESS","allRequestCount":3,"successCount":"3",
               "fail":{"count":0,"list":[]}}),
    )
    .unwrap();
    assert_eq!(t.success_count, Some(3));
    assert_eq!(t.outcome(), TaskOutcome::AllSuccess);
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

/// The two failed tasks of Kakao's own guide (그룹 챗봇 개발 가이드, "메시지 발송 성공, 실패 결과
/// 조회").
#[test]
fn failed_tasks_name_their_causes() {
    let unresolved: TaskResult = serde_json::from_value(json!({
        "taskId": "bf46deb1-0f4e-4837-96ea-02428d4d691c",
        "status": "1 FAIL",
        "allRequestCount": 2,
        "successCount": 1,
        "userKeyResolvingFailCount": 1,
        "fail": {"count": 1, "list": []}
    }))
    .unwrap();
    assert_eq!(unresolved.fail_counts(), [("userKeyResolvingFailCount", 1)]);
    assert_eq!(
        unresolved.outcome(),
        TaskOutcome::Failed {
            failed: 1,
            reason: "1 FAIL of 2: userKeyResolvingFailCount=1".into()
        }
    );
    // Written back the same way (the sandbox answers with this type).
    assert_eq!(
        serde_json::to_value(&unresolved).unwrap()["userKeyResolvingFailCount"],
        1
    );

    let skill_error: TaskResult = serde_json::from_value(json!({
        "taskId": "861f6cd5-c737-417c-bde3-d11f8ed82a49",
        "status": "1 FAIL",
        "allRequestCount": 1,
        "successCount": 0,
        "fail": {"count": 1, "list": [{
            "userId": "9d5c0b531ce5015c54e5dca368236e3fe3613e9297319bf57116860068b5035081",
            "reqUserType": "botGroupKey",
            "createdAt": 1728531719,
            "errorMsg": {"errorType": 201, "msg": "Bot skill server responded with an HTTP error."}
        }]}
    }))
    .unwrap();
    let TaskOutcome::Failed { failed, reason } = skill_error.outcome() else {
        panic!("a failed task");
    };
    assert_eq!(failed, 1);
    assert_eq!(
        reason,
        "1 FAIL of 1: Bot skill server responded with an HTTP error. (errorType 201)"
    );

    for status in ["", "PROCESSING", "ALL_SUCCESS", "many FAIL"] {
        let t = TaskResult {
            status: status.into(),
            ..Default::default()
        };
        assert_eq!(t.outcome(), TaskOutcome::Unsettled, "{status}");
    }
}
