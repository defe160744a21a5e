//! The SkillPayloads the simulator builds: the full envelope as Kakao sends it, readable by the
//! same parser the chatbot-skill service uses.

use kakao::SkillPayload;
use kakao_sandbox::chat::bot::BotFile;
use kakao_sandbox::chat::envelope::{self, ButtonTap, InputError, Location, SimUser, UserInput};
use serde_json::{Value, json};

const USER_KEY: &str = "4c1d8a77e0f5b92d3a6c7e81f04b5d2c9a8e7f6b1c0d3e2f5a4";

fn bot() -> BotFile {
    BotFile::embedded().unwrap()
}

fn user() -> SimUser {
    SimUser {
        user_key: USER_KEY.into(),
        plusfriend_user_key: Some("pfXy12AbCd".into()),
    }
}

fn utterance(text: &str) -> UserInput {
    UserInput {
        utterance: Some(text.into()),
        ..UserInput::default()
    }
}

fn wire(bot: &BotFile, input: &UserInput) -> Value {
    let turn = input.resolve(bot).expect("valid input");
    envelope::to_wire(&envelope::build(bot, &user(), &turn))
}

#[test]
fn a_typed_utterance_becomes_the_full_envelope() {
    let bot = bot();
    let payload = wire(&bot, &utterance("매장 찾기 간편카페"));
    let expected = json!({
        "intent": {
            "id": "blk_stores",
            "name": "매장 찾기",
            "extra": { "reason": { "code": 1, "message": "OK" } }
        },
        "userRequest": {
            "timezone": "Asia/Seoul",
            "block": { "id": "blk_stores", "name": "매장 찾기" },
            "utterance": "매장 찾기 간편카페",
            "lang": "ko",
            "params": { "surface": "Kakaotalk.plusfriend" },
            "user": {
                "id": USER_KEY,
                "type": "botUserKey",
                "properties": {
                    "botUserKey": USER_KEY,
                    "bot_user_key": USER_KEY,
                    "plusfriendUserKey": "pfXy12AbCd",
                    "plusfriend_user_key": "pfXy12AbCd",
                    "isFriend": true
                }
            }
        },
        "bot": { "id": "sandbox-bot", "name": "간편주문" },
        "action": {
            "id": "sandbox-skill-stores",
            "name": "stores",
            "params": { "store_name": "간편카페" },
            "detailParams": {
                "store_name": { "origin": "간편카페", "value": "간편카페", "groupName": "" }
            },
            "clientExtra": null
        },
        "contexts": []
    });
    assert_eq!(payload, expected);

    let parsed: SkillPayload = serde_json::from_value(payload).unwrap();
    assert_eq!(parsed.bot_user_key(), Some(USER_KEY));
    assert_eq!(parsed.plusfriend_user_key(), Some("pfXy12AbCd"));
    assert_eq!(parsed.param("store_name"), Some("간편카페"));
    assert_eq!(parsed.surface(), Some("Kakaotalk.plusfriend"));
    assert!(!parsed.is_dev_bot());
}

#[test]
fn an_unmatched_utterance_goes_to_the_fallback_block_with_no_parameters() {
    let bot = bot();
    let input = utterance("아무 말이나");
    let turn = input.resolve(&bot).unwrap();
    assert!(turn.fallback);
    let payload = wire(&bot, &input);
    assert_eq!(payload["intent"]["id"], json!(bot.fallback_block));
    assert_eq!(payload["userRequest"]["utterance"], "아무 말이나");
    assert_eq!(payload["action"]["name"], "welcome");
    assert_eq!(payload["action"]["params"], json!({}));
}

#[test]
fn a_block_button_runs_its_block_with_the_extra_as_client_extra() {
    let bot = bot();
    let input = UserInput {
        button: Some(ButtonTap {
            block_id: "blk_cart_add".into(),
            label: Some("담기".into()),
            message_text: None,
            extra: Some(
                json!({ "store_id": "s1", "item_id": "i9", "option_ids": ["o1", "o2"], "quantity": 2 })
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        }),
        ..UserInput::default()
    };
    let payload = wire(&bot, &input);
    assert_eq!(payload["intent"]["id"], "blk_cart_add");
    assert_eq!(payload["userRequest"]["block"]["name"], "담기");
    assert_eq!(payload["userRequest"]["utterance"], "담기");
    assert_eq!(payload["action"]["name"], "cart-add");
    assert_eq!(
        payload["action"]["clientExtra"]["option_ids"],
        json!(["o1", "o2"])
    );

    let parsed: SkillPayload = serde_json::from_value(payload).unwrap();
    assert_eq!(parsed.extra::<i64>("quantity"), Some(2));
    assert_eq!(parsed.param("store_id"), Some("s1"));
}

#[test]
fn a_block_button_with_echo_text_sends_that_text() {
    let bot = bot();
    let input = UserInput {
        button: Some(ButtonTap {
            block_id: "blk_menu".into(),
            label: Some("메뉴".into()),
            message_text: Some("간편카페 메뉴 보기".into()),
            extra: None,
        }),
        ..UserInput::default()
    };
    let payload = wire(&bot, &input);
    assert_eq!(payload["userRequest"]["utterance"], "간편카페 메뉴 보기");
    assert_eq!(payload["action"]["clientExtra"], Value::Null);
}

#[test]
fn a_location_goes_to_the_stores_block_as_number_entities() {
    let bot = bot();
    let input = UserInput {
        location: Some(Location {
            latitude: 37.4979,
            longitude: 127.0276,
        }),
        ..UserInput::default()
    };
    let payload = wire(&bot, &input);
    assert_eq!(payload["action"]["name"], "stores");
    let lat = payload["action"]["params"]["latitude"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(lat).unwrap(),
        json!({ "amount": 37.4979, "unit": null })
    );
    assert_eq!(
        payload["action"]["detailParams"]["longitude"]["origin"],
        "127.0276"
    );
}

#[test]
fn bad_input_is_refused() {
    let bot = bot();
    let button = |block: &str| ButtonTap {
        block_id: block.into(),
        ..ButtonTap::default()
    };
    let cases = [
        (UserInput::default(), InputError::NotOneInput),
        (
            UserInput {
                utterance: Some("시작".into()),
                button: Some(button("blk_menu")),
                location: None,
            },
            InputError::NotOneInput,
        ),
        (utterance("   "), InputError::Utterance),
        (utterance(&"가".repeat(1001)), InputError::Utterance),
        (
            UserInput {
                button: Some(button("blk_unknown")),
                ..UserInput::default()
            },
            InputError::UnknownBlock("blk_unknown".into()),
        ),
        (
            UserInput {
                location: Some(Location {
                    latitude: 91.0,
                    longitude: 0.0,
                }),
                ..UserInput::default()
            },
            InputError::Location,
        ),
        (
            UserInput {
                location: Some(Location {
                    latitude: f64::NAN,
                    longitude: 0.0,
                }),
                ..UserInput::default()
            },
            InputError::Location,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(input.resolve(&bot).unwrap_err(), expected, "{input:?}");
    }
}

#[test]
fn user_keys_must_look_like_kakao_keys() {
    let key = |k: &str| SimUser {
        user_key: k.into(),
        plusfriend_user_key: None,
    };
    assert!(key(USER_KEY).check().is_ok());
    assert_eq!(key("").check(), Err(InputError::UserKey));
    assert_eq!(key(&"a".repeat(71)).check(), Err(InputError::UserKey));
    assert_eq!(key("a\nb").check(), Err(InputError::UserKey));
}

#[test]
fn without_a_channel_key_one_is_derived_from_the_user_key() {
    let bot = bot();
    let turn = utterance("시작").resolve(&bot).unwrap();
    let sim = SimUser {
        user_key: USER_KEY.into(),
        plusfriend_user_key: None,
    };
    let a = envelope::build(&bot, &sim, &turn);
    let b = envelope::build(&bot, &sim, &turn);
    let key = a.plusfriend_user_key().unwrap().to_owned();
    assert!(!key.is_empty() && key != USER_KEY);
    assert_eq!(b.plusfriend_user_key(), Some(key.as_str()));
}

#[test]
fn a_place_open_builder_would_recognise_fills_sys_location_and_other_text_the_search() {
    let bot = bot();
    let near = wire(&bot, &utterance("주변 매장 강남역"));
    assert_eq!(
        near["action"]["params"],
        json!({ "sys_location": "강남역" })
    );
    assert_eq!(
        near["action"]["detailParams"]["sys_location"]["origin"],
        "강남역"
    );
    let named = wire(&bot, &utterance("매장 찾기 간편카페"));
    assert_eq!(
        named["action"]["params"],
        json!({ "store_name": "간편카페" })
    );
}
