//! The skills of DESIGN §3, one module each. A module fetches what it needs through
//! [`Clients`] in a small `handle` and draws the answer in pure `render*` functions, which the
//! unit tests call with hand-made data.

mod alert;
mod cart;
mod cart_add;
mod cart_remove;
mod catalog;
pub mod common;
#[cfg(test)]
mod every_answer;
mod favourites;
pub mod input;
mod item;
mod menu;
mod nickname;
mod order;
mod orders;
mod paging;
mod reorder;
mod stores;
mod welcome;

use contracts::order::v1::{Customer, Favourite};
use kakao::{SkillPayload, SkillResponse};

use crate::alerts::Receipts;
use crate::clients::Clients;
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// What the skills reach beyond the payload.
pub struct Deps<'a> {
    pub clients: &'a Clients,
    pub receipts: &'a Receipts,
    pub ob: &'a OpenBuilder,
}

/// What one skill call works with.
pub struct Ctx<'a> {
    pub clients: &'a Clients,
    pub receipts: &'a Receipts,
    pub ob: &'a OpenBuilder,
    pub payload: &'a SkillPayload,
    pub customer: &'a Customer,
    /// Every store's, as saved: names and ids for chips, no prices (ListFavourites has those).
    pub favourites: &'a [Favourite],
}

/// Runs `skill` for the customer with `bot_user_key`, whose row is created on first contact.
pub async fn run(
    skill: Skill,
    deps: &Deps<'_>,
    payload: &SkillPayload,
    bot_user_key: &str,
) -> Result<SkillResponse, Error> {
    let Deps {
        clients,
        receipts,
        ob,
    } = *deps;
    let (customer, favourites) = if skill == Skill::Alert {
        // An alert draws only on the event's parameters and never reads the customer, so it
        // skips the lookup and reaches the customer even while the order service is down.
        (Customer::default(), Vec::new())
    } else {
        match clients
            .customer(
                bot_user_key,
                payload.plusfriend_user_key().unwrap_or_default(),
            )
            .await
        {
            Ok(found) => found,
            // A greeting needs nothing else from the order service, so it survives its outage.
            Err(_) if skill == Skill::Welcome => return Ok(welcome::render(ob, None)?),
            Err(e) => return Err(e),
        }
    };
    let ctx = Ctx {
        clients,
        receipts,
        ob,
        payload,
        customer: &customer,
        favourites: &favourites,
    };
    match skill {
        Skill::Welcome => Ok(welcome::render(ob, Some(&customer))?),
        Skill::Stores => stores::handle(&ctx).await,
        Skill::Menu => menu::handle(&ctx).await,
        Skill::Item => item::handle(&ctx).await,
        Skill::CartAdd => cart_add::handle(&ctx).await,
        Skill::CartRemove => cart_remove::handle(&ctx).await,
        Skill::Cart => cart::handle(&ctx).await,
        Skill::Order => order::handle(&ctx).await,
        Skill::Orders => orders::handle(&ctx).await,
        Skill::Reorder => reorder::handle(&ctx).await,
        Skill::Favourites => favourites::handle(&ctx).await,
        Skill::Nickname => nickname::handle(&ctx).await,
        Skill::Alert => alert::handle(&ctx).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn message_texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if map.get("action") == Some(&Value::String("message".into())) {
                    let text = map.get("messageText").or_else(|| map.get("label"));
                    out.push(text.and_then(Value::as_str).unwrap_or_default().to_owned());
                }
                map.values().for_each(|child| message_texts(child, out));
            }
            Value::Array(items) => items.iter().for_each(|child| message_texts(child, out)),
            _ => {}
        }
    }

    #[test]
    fn names_round_trip() {
        for skill in Skill::ALL {
            assert_eq!(Skill::from_name(skill.name()), Some(skill));
        }
        assert_eq!(Skill::from_name("Welcome"), None);
        assert_eq!(Skill::from_name(""), None);
    }

    /// Message chips only work when Open Builder routes their text to a block.
    #[test]
    fn every_message_chip_sends_an_utterance_of_the_setup_file() {
        let ob = OpenBuilder::load(None).unwrap();
        let responses = [
            welcome::render(&ob, None).unwrap(),
            stores::render(&ob, &stores::Query::Start, &[]).unwrap(),
            cart::render(&ob, None, None).unwrap(),
            nickname::render_current(&ob, "").unwrap(),
            orders::render_list(&ob, &[], chrono::Utc::now()).unwrap(),
            orders::render_one(&ob, &Default::default(), chrono::Utc::now()).unwrap(),
            common::pick_a_store_first().unwrap(),
        ];
        let mut texts = Vec::new();
        for r in &responses {
            message_texts(&r.to_value(), &mut texts);
        }
        assert!(texts.len() >= 5);
        for text in texts {
            assert!(
                ob.is_utterance(&text),
                "{text:?} is not an utterance in bot.json"
            );
        }
    }

    fn fixture(name: &str) -> SkillPayload {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        crate::payload::parse(&body).unwrap_or_else(|| panic!("{name} is readable"))
    }

    #[test]
    fn a_dev_channel_search_reads_the_name_user_and_bot() {
        let ob = OpenBuilder::load(None).unwrap();
        let p = fixture("stores_search_dev_channel.json");
        assert!(p.is_dev_bot());
        assert_eq!(p.bot_id_without_dev_suffix(), "sandbox-bot");
        assert_eq!(
            p.bot_user_key(),
            Some("8a1f0c2e4b6d8f0a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6")
        );
        assert_eq!(p.plusfriend_user_key(), Some("Qw12Er34Ty"));
        assert!(p.action.client_extra.is_empty(), "null clientExtra");
        assert_eq!(
            stores::query(&p, &ob),
            stores::Query::Name("간편카페".into())
        );
    }

    #[test]
    fn a_builder_test_location_reads_sys_number_coordinates() {
        let ob = OpenBuilder::load(None).unwrap();
        let p = fixture("stores_nearby_builder_test.json");
        assert!(p.is_builder_bot_test());
        assert_eq!(
            stores::query(&p, &ob),
            stores::Query::Nearby {
                lat: 37.4979,
                lng: 127.0276
            }
        );
    }

    #[test]
    fn an_option_tap_carries_ids_and_a_string_step() {
        let p = fixture("item_option_tap.json");
        assert_eq!(
            p.bot_user_key(),
            Some("8a1f0c2e4b6d8f0a2c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6")
        );
        assert_eq!(
            input::id::<domain::StoreId>(&p, "store_id").map(|s| s.to_string()),
            Some("0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b".into())
        );
        let options: Vec<String> = input::ids::<domain::OptionId>(&p, "option_ids")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(options, ["00000000-0000-7000-8000-000000000002"]);
        assert_eq!(input::number(&p, "step"), Some(1));
    }

    #[test]
    fn a_replace_confirmation_reads_flags_lists_and_the_cart_id() {
        let p = fixture("cart_add_replace_confirm.json");
        assert!(
            input::flag(&p, "replace"),
            "\"true\" as typed in Open Builder"
        );
        assert_eq!(input::number(&p, "quantity"), Some(2));
        assert_eq!(input::ids::<domain::OptionId>(&p, "option_ids").len(), 2);
        assert_eq!(
            input::id::<domain::CartId>(&p, "cart_id").map(|c| c.to_string()),
            Some("1718000000000-4".into())
        );
    }

    #[test]
    fn an_event_block_renders_from_its_params() {
        let p = fixture("alert_event.json");
        assert!(p.action.client_extra.is_empty(), "legacy \"null\" string");
        assert_eq!(
            alert::message(&p),
            "[간편카페 강남점] 주문하신 메뉴가 준비되었어요. 카운터에서 '민트'를 찾아 주세요."
        );
    }
}
