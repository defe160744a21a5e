//! The Open Builder setup file and how the simulator picks a block for what the user typed.

use kakao_sandbox::chat::bot::{BotFile, EMBEDDED};
use serde_json::{Value, json};

fn bot() -> BotFile {
    BotFile::embedded().expect("the committed setup file is consistent")
}

#[test]
fn the_committed_file_names_every_skill_of_the_design() {
    let bot = bot();
    let mut skills: Vec<&str> = bot.blocks.iter().map(|b| b.skill.as_str()).collect();
    skills.sort_unstable();
    for skill in [
        "welcome",
        "stores",
        "menu",
        "item",
        "cart-add",
        "cart-remove",
        "cart",
        "order",
        "orders",
        "reorder",
        "favourites",
        "nickname",
        "alert",
    ] {
        assert!(skills.contains(&skill), "no block runs skill {skill}");
    }
    let alert = bot.blocks.iter().find(|b| b.skill == "alert").unwrap();
    assert!(alert.event && alert.utterances.is_empty());
    assert!(bot.events.iter().all(|e| e.block == alert.id));
}

#[test]
fn an_exact_example_utterance_runs_its_block_without_parameters() {
    let bot = bot();
    let m = bot.match_utterance("주문서");
    assert_eq!(m.block.skill, "cart");
    assert_eq!(m.remainder, None);
    assert!(!m.fallback);
}

#[test]
fn text_after_an_example_utterance_is_left_for_the_parameter() {
    let bot = bot();
    let m = bot.match_utterance("매장 찾기 간편카페");
    assert_eq!(m.block.skill, "stores");
    assert_eq!(m.remainder.as_deref(), Some("간편카페"));
    assert_eq!(m.block.text_param().unwrap().name, "store_name");

    let m = bot.match_utterance("  매장   찾기   간편  카페 ");
    assert_eq!(m.block.skill, "stores");
    assert_eq!(m.remainder.as_deref(), Some("간편 카페"));
}

#[test]
fn a_typed_rename_of_a_favourite_leaves_the_number_and_name() {
    let bot = bot();
    let m = bot.match_utterance("나만의 메뉴 이름 3 아아 라지");
    assert_eq!(m.block.skill, "favourites");
    assert_eq!(m.remainder.as_deref(), Some("3 아아 라지"));
    assert_eq!(m.block.text_param().unwrap().name, "favourite_name");
}

#[test]
fn the_longest_example_utterance_wins() {
    let bot = bot();
    // "닉네임" and "닉네임 설정" both start the text; the longer one leaves only the name.
    let m = bot.match_utterance("닉네임 설정 콩이");
    assert_eq!(m.block.skill, "nickname");
    assert_eq!(m.remainder.as_deref(), Some("콩이"));
    let m = bot.match_utterance("메뉴 보기");
    assert_eq!(m.block.skill, "menu");
    assert_eq!(m.remainder, None);
}

#[test]
fn an_example_utterance_must_end_at_a_word_boundary() {
    let bot = bot();
    let m = bot.match_utterance("메뉴판 주세요");
    assert!(m.fallback, "메뉴판 is not 메뉴: {:?}", m.block.id);
}

#[test]
fn anything_else_runs_the_fallback_block() {
    let bot = bot();
    let m = bot.match_utterance("오늘 날씨 어때");
    assert!(m.fallback);
    assert_eq!(m.block.id, bot.fallback_block);
    assert_eq!(m.remainder, None);
}

#[test]
fn the_location_block_is_the_one_taking_coordinates() {
    assert_eq!(bot().location_block().unwrap().skill, "stores");
}

#[test]
fn skill_urls_and_headers_are_filled_from_the_configuration() {
    let bot = bot();
    assert_eq!(
        bot.skill_url("https://order.example.com/", "cart-add"),
        "https://order.example.com/kakao/skill/cart-add"
    );
    assert_eq!(
        bot.skill_headers(Some("s3cret")),
        vec![("X-SimpleOrder-Skill-Secret".to_owned(), "s3cret".to_owned())]
    );
    assert!(bot.skill_headers(None).is_empty());
}

fn edited(change: impl FnOnce(&mut Value)) -> String {
    let mut file: Value = serde_json::from_str(EMBEDDED).unwrap();
    change(&mut file);
    file.to_string()
}

#[test]
fn an_edited_copy_with_real_block_ids_and_extra_keys_loads() {
    let text = edited(|f| {
        f["blocks"][0]["id"] = json!("64f1c3d0b7e3d10a2c5e8f55");
        f["fallbackBlock"] = json!("64f1c3d0b7e3d10a2c5e8f55");
        f["blocks"][0]["someFutureKey"] = json!(true);
    });
    let bot = BotFile::parse(&text).unwrap();
    assert_eq!(
        bot.match_utterance("시작").block.id,
        "64f1c3d0b7e3d10a2c5e8f55"
    );
}

#[test]
fn an_inconsistent_file_is_refused_with_the_reason() {
    let cases = [
        (
            edited(|f| f["fallbackBlock"] = json!("blk_nope")),
            "blk_nope",
        ),
        (
            edited(|f| f["blocks"][1]["id"] = json!("blk_welcome")),
            "twice",
        ),
        (
            edited(|f| f["events"][0]["block"] = json!("blk_gone")),
            "blk_gone",
        ),
        (
            edited(|f| f["blocks"][0]["skill"] = json!("../admin")),
            "skill",
        ),
        ("{\"bot\": 1}".to_owned(), "JSON"),
    ];
    for (text, reason) in cases {
        let err = BotFile::parse(&text).unwrap_err().to_string();
        assert!(err.contains(reason), "{err:?} should mention {reason:?}");
    }
}

#[test]
fn the_operator_guide_covers_every_block_and_event() {
    let guide = include_str!("../../../../deploy/openbuilder/README.md");
    let bot = bot();
    for block in &bot.blocks {
        for needle in [&block.id, &block.name, &block.skill] {
            assert!(
                guide.contains(&format!("`{needle}`")) || guide.contains(needle.as_str()),
                "deploy/openbuilder/README.md does not mention {needle:?} of block {}",
                block.id
            );
        }
        for utterance in &block.utterances {
            assert!(
                guide.contains(utterance.as_str()),
                "utterance {utterance:?}"
            );
        }
    }
    for event in &bot.events {
        assert!(
            guide.contains(&format!("`{}`", event.name)),
            "event {}",
            event.name
        );
    }
}
