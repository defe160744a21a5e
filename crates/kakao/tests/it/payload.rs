use kakao::SkillPayload;
use serde_json::json;

fn parse(raw: &str) -> SkillPayload {
    serde_json::from_str(raw).expect("fixture parses")
}

#[test]
fn realistic_dev_channel_payload_exposes_keys_and_params() {
    let p = parse(include_str!("../fixtures/payload_dev_channel.json"));

    assert!(p.is_dev_bot());
    assert!(!p.is_builder_bot_test());
    assert_eq!(p.surface(), Some("Kakaotalk.plusfriend"));
    assert_eq!(p.bot.id, "64f1c2a9b7e3d10a2c5e8f41!");
    assert_eq!(p.bot_id_without_dev_suffix(), "64f1c2a9b7e3d10a2c5e8f41");
    assert_eq!(
        p.bot_user_key(),
        Some("4c1d8a77e0f5b92d3a6c7e81f04b5d2c9a8e7f6b1c0d3e2f5a4")
    );
    assert_eq!(p.plusfriend_user_key(), Some("Xy12AbCdEf34"));
    assert_eq!(p.app_user_id(), Some("3141592653"));
    let props = &p.user_request.user.properties;
    assert_eq!(props.is_friend, Some(true));
    assert_eq!(props.account_id.as_deref(), Some("987654"));
    assert_eq!(
        props.plusfriend_user_key_snake.as_deref(),
        Some("Xy12AbCdEf34")
    );
    assert_eq!(props.app_user_status.as_deref(), Some("REGISTERED"));
    assert_eq!(p.user_request.user.kind, "botUserKey");
    assert_eq!(p.user_request.lang, "ko");
    assert_eq!(p.user_request.timezone, "Asia/Seoul");
    assert_eq!(p.utterance(), "아아 한 잔 주문할게요");
    assert_eq!(
        p.callback_url(),
        Some(
            "https://bot-api.kakao.com/v1/bots/64f1c2a9b7e3d10a2c5e8f41!/callback/Qm9vdHN0cmFwVG9rZW4tZXhhbXBsZS1vbmx5"
        )
    );
    assert_eq!(p.intent.name, "주문하기");
    assert_eq!(p.user_request.block.name, "주문하기");
    assert_eq!(p.action.name, "order_skill");

    assert_eq!(p.param("menu_name"), Some("아이스 아메리카노"));
    assert_eq!(p.action.detail_params["menu_name"].origin, "아아");
    assert_eq!(
        p.param("note"),
        Some("샷 추가"),
        "string clientExtra as param"
    );
    assert_eq!(
        p.param("cart_version"),
        None,
        "non-string extras are not params"
    );
    assert_eq!(p.extra::<u32>("cart_version"), Some(3));
    assert_eq!(
        p.extra::<uuid::Uuid>("store_id"),
        Some("0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b".parse().unwrap())
    );
    assert_eq!(p.extra::<u32>("missing"), None);
    assert_eq!(
        p.extra::<u32>("note"),
        None,
        "wrong type is None, not a panic"
    );
}

#[test]
fn serializing_a_payload_gives_kakaos_camel_case_and_reparses_equal() {
    let p = parse(include_str!("../fixtures/payload_dev_channel.json"));
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["userRequest"]["callbackUrl"], p.callback_url().unwrap());
    assert_eq!(v["userRequest"]["user"]["type"], "botUserKey");
    assert_eq!(
        v["userRequest"]["user"]["properties"]["plusfriendUserKey"],
        "Xy12AbCdEf34"
    );
    assert_eq!(
        v["userRequest"]["user"]["properties"]["plusfriend_user_key"],
        "Xy12AbCdEf34"
    );
    assert_eq!(v["action"]["detailParams"]["menu_name"]["groupName"], "");
    assert_eq!(v["action"]["clientExtra"]["cart_version"], 3);
    let again: SkillPayload = serde_json::from_value(v).unwrap();
    assert_eq!(again, p);
}

#[test]
fn client_extra_null_reads_as_empty() {
    let p = parse(include_str!("../fixtures/payload_client_extra_null.json"));
    assert!(p.action.client_extra.is_empty());
    assert!(!p.is_dev_bot());
    assert_eq!(p.bot_id_without_dev_suffix(), "64f1c2a9b7e3d10a2c5e8f41");
    assert_eq!(p.param("store_id"), None);
    assert_eq!(p.extra::<String>("store_id"), None);
    assert_eq!(p.callback_url(), None);
    assert_eq!(p.plusfriend_user_key(), Some("Pq98RsTuVw76"));
    assert_eq!(p.user_request.user.properties.is_friend, None);
}

#[test]
fn legacy_string_null_client_extra_and_old_user_type_read_as_empty() {
    let p = parse(include_str!(
        "../fixtures/payload_client_extra_legacy_string.json"
    ));
    assert!(p.action.client_extra.is_empty());
    assert_eq!(p.user_request.lang, "kr");
    assert_eq!(p.user_request.user.kind, "talk_user_id");
    assert_eq!(p.bot_user_key(), Some("138617"));
    assert_eq!(p.plusfriend_user_key(), None);
    assert_eq!(p.param("store"), Some("강남점"));
    assert!(p.contexts.is_empty(), "missing contexts default to empty");
}

#[test]
fn builder_bot_test_payload_with_system_entities() {
    let p = parse(include_str!("../fixtures/payload_builder_bot_test.json"));
    assert_eq!(p.user_request.params["surface"], "BuilderBotTest");
    assert_eq!(p.user_request.params["ignoreMe"], "true");
    assert_eq!(p.user_request.lang, "", "null lang is empty text");
    assert!(p.is_dev_bot());
    assert!(p.is_builder_bot_test());
    assert_eq!(p.bot_user_key(), Some("test-user-botkey-0001"));

    let number: serde_json::Value = serde_json::from_str(p.param("sys_number").unwrap()).unwrap();
    assert_eq!(number["amount"], 2);
    assert_eq!(p.param("sys_location"), Some("강남역"));
    assert_eq!(p.action.detail_params["sys_number"].origin, "두");
    assert_eq!(p.action.detail_params["sys_location"].value, "강남역");
}

#[test]
fn unknown_fields_and_odd_types_are_tolerated() {
    let p = parse(include_str!("../fixtures/payload_unknown_fields.json"));
    assert_eq!(
        p.bot_user_key(),
        Some("snake-only-bot-user-key"),
        "empty user.id falls back to properties"
    );
    assert_eq!(p.plusfriend_user_key(), Some("SnakeOnlyPfKey"));
    assert_eq!(p.user_request.user.properties.is_friend, Some(false));
    assert_eq!(p.user_request.lang, "ko-KR");
    assert_eq!(p.user_request.params["retry"], "1");
    assert_eq!(p.user_request.params["beta"], "true");
    assert!(!p.user_request.params.contains_key("gone"));
    assert_eq!(p.param("count"), Some("3"));
    assert_eq!(p.action.detail_params["count"].value, "3");
    assert_eq!(
        p.extra::<i64>("amount"),
        Some(12_500),
        "number sent as string"
    );
    assert_eq!(p.contexts.len(), 1);
    assert!(p.user_request.chat.is_some());
    assert_eq!(p.intent.extra.as_ref().unwrap()["reason"]["code"], 0);
}

#[test]
fn minimal_and_broken_bodies_never_panic() {
    let empty: SkillPayload = serde_json::from_str("{}").unwrap();
    assert_eq!(empty.bot_user_key(), None);
    assert_eq!(empty.param("x"), None);
    assert!(!empty.is_dev_bot());

    let nulls: SkillPayload = serde_json::from_value(json!({
        "intent": null, "userRequest": {"user": null, "params": null}, "bot": null,
        "action": {"params": null, "detailParams": null, "clientExtra": 5}, "contexts": null
    }))
    .unwrap();
    assert_eq!(nulls.bot_user_key(), None);
    assert!(nulls.action.client_extra.is_empty());

    for bad in ["null", "\"text\"", "{\"bot\": 5}", "{\"contexts\": 5}", "{"] {
        assert!(serde_json::from_str::<SkillPayload>(bad).is_err(), "{bad}");
    }
}

#[test]
fn client_extra_encoded_as_a_json_string_is_unpacked() {
    let p: SkillPayload = serde_json::from_value(json!({
        "action": {"clientExtra": "{\"store_id\":\"s1\"}"}
    }))
    .unwrap();
    assert_eq!(p.param("store_id"), Some("s1"));
}

#[test]
fn kakaos_request_id_goes_into_logs_only_when_it_looks_like_an_id() {
    use kakao::skill::payload::request_id;
    assert_eq!(
        request_id(Some(" chp-0f3a9c1e2b7d4e5f ")),
        "chp-0f3a9c1e2b7d4e5f"
    );
    assert_eq!(request_id(None), "-");
    assert_eq!(request_id(Some("")), "-");
    assert_eq!(request_id(Some("chp-1\n2026 ERROR forged line")), "-");
    assert_eq!(request_id(Some(&"a".repeat(129))), "-");
}
