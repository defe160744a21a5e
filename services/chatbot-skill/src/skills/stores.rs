//! `stores`: find a store by name (a parameter or the rest of the utterance), nearby from
//! latitude/longitude parameters or from a place name (Open Builder's `sys_location`, resolved
//! by the store service through Kakao Local), or the ones recently ordered from. Every result
//! shows its state and leads to its menu.

use contracts::store::v1::{NearbyStoresByPlaceResponse, PlaceLookup, StoreSummary};
use domain::input::STORE_SEARCH_MAX_CHARS;
use kakao::SkillResponse;
use kakao::skill::response::{Button, Carousel, LimitError, SimpleText, TextCard, shorten};

use super::common::{self, state_label};
use super::{Ctx, input};
use crate::error::Error;
use crate::openbuilder::OpenBuilder;
use crate::skill::Skill;

/// A carousel holds 10 cards.
const RESULTS_MAX: u32 = 10;
const NEARBY_RADIUS_M: u32 = 3_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Name(String),
    /// A name longer than the store service searches for (a pasted URL, a sentence).
    NameTooLong,
    Nearby {
        lat: f64,
        lng: f64,
    },
    /// Near a place named in words ("강남역").
    Place(String),
    Recent,
    /// "주변 매장" without a location.
    NeedLocation,
    /// Nothing to search for: the recent stores, or how to search.
    Start,
}

pub fn query(payload: &kakao::SkillPayload, ob: &OpenBuilder) -> Query {
    let lat = input::coordinate(payload, "latitude", (-90.0, 90.0));
    let lng = input::coordinate(payload, "longitude", (-180.0, 180.0));
    if let (Some(lat), Some(lng)) = (lat, lng) {
        return Query::Nearby { lat, lng };
    }
    if let Some(place) = input::text(payload, "sys_location") {
        return Query::Place(place);
    }
    let said = payload.utterance().trim();
    // Free text, read whole: a long name is answered as such, not mistaken for no name.
    let name = payload
        .param("store_name")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .or_else(|| Some(input::rest_of_utterance(said, ob.utterances(Skill::Stores))))
        .filter(|name| !name.is_empty());
    if let Some(name) = name {
        if name.chars().count() > STORE_SEARCH_MAX_CHARS {
            Query::NameTooLong
        } else {
            Query::Name(name)
        }
    } else if said.contains("최근") {
        Query::Recent
    } else if said.contains("주변") {
        Query::NeedLocation
    } else {
        Query::Start
    }
}

pub async fn handle(ctx: &Ctx<'_>) -> Result<SkillResponse, Error> {
    let clients = ctx.clients;
    let customer_id = &ctx.customer.customer_id;
    let query = query(ctx.payload, ctx.ob);
    if let Query::Place(place) = &query {
        let answer = clients
            .nearby_stores_by_place(place, NEARBY_RADIUS_M, RESULTS_MAX)
            .await?;
        return Ok(render_place(ctx.ob, place, &answer)?);
    }
    let stores = match &query {
        Query::Name(name) => clients.search_stores(name, RESULTS_MAX).await?,
        Query::Nearby { lat, lng } => {
            clients
                .nearby_stores(*lat, *lng, NEARBY_RADIUS_M, RESULTS_MAX)
                .await?
        }
        Query::Recent | Query::Start => clients.recent_stores(customer_id, RESULTS_MAX).await?,
        Query::NeedLocation | Query::NameTooLong | Query::Place(_) => Vec::new(),
    };
    Ok(render(ctx.ob, &query, &stores)?)
}

/// The answer to a place name: the stores near where Kakao Local put it (named as Kakao knows
/// it, so the customer sees what was understood), or what to do when that did not work.
pub fn render_place(
    ob: &OpenBuilder,
    said: &str,
    answer: &NearbyStoresByPlaceResponse,
) -> Result<SkillResponse, LimitError> {
    let lookup = PlaceLookup::try_from(answer.lookup).unwrap_or(PlaceLookup::Unavailable);
    match (lookup, &answer.place) {
        (PlaceLookup::Found, Some(place)) => {
            render(ob, &Query::Place(place.name.clone()), &answer.stores)
        }
        (PlaceLookup::NotFound, _) => common::text(
            format!(
                "'{}'이(가) 어디인지 찾지 못했어요. '강남역', '역삼동'처럼 역이나 동 이름으로 더 정확히 알려 주세요.",
                shorten(said, 30)
            ),
            [
                common::recent_stores(),
                common::find_stores(),
                common::home(ob),
            ],
        ),
        _ => common::text(
            "지금은 위치로 매장을 찾을 수 없어요. 잠시 후 다시 시도하거나 '매장 찾기 간편카페'처럼 이름으로 찾아 주세요.",
            [
                common::recent_stores(),
                common::find_stores(),
                common::home(ob),
            ],
        ),
    }
}

pub fn render(
    ob: &OpenBuilder,
    query: &Query,
    stores: &[StoreSummary],
) -> Result<SkillResponse, LimitError> {
    let replies = || {
        [
            common::find_stores(),
            common::recent_stores(),
            common::home(ob),
        ]
    };
    if stores.is_empty() {
        let text = match query {
            Query::Name(name) => format!(
                "'{}' 이름의 매장을 찾지 못했어요. 이름을 다시 확인해 주세요.",
                shorten(name, 30)
            ),
            Query::NameTooLong => format!(
                "매장 이름은 {STORE_SEARCH_MAX_CHARS}자까지 찾을 수 있어요. '매장 찾기 간편카페'처럼 짧게 보내 주세요."
            ),
            Query::Nearby { .. } => "가까운 곳(3km 안)에 영업 중인 매장이 없어요.".to_owned(),
            Query::Place(place) => format!(
                "'{}' 근처(3km 안)에 영업 중인 매장이 없어요.",
                shorten(place, 30)
            ),
            Query::Recent => "아직 주문한 매장이 없어요. '매장 찾기 간편카페'처럼 이름으로 찾아 보세요."
                .to_owned(),
            Query::NeedLocation => {
                "주변 매장을 찾으려면 위치가 필요해요. 지금은 '매장 찾기 간편카페'처럼 이름으로 찾아 주세요."
                    .to_owned()
            }
            Query::Start => {
                "어느 매장에서 주문할까요? '매장 찾기 간편카페'처럼 매장 이름을 보내 주세요.".to_owned()
            }
        };
        return common::text(text, replies());
    }
    let intro = match query {
        Query::Name(name) => format!("'{}' 검색 결과예요.", shorten(name, 30)),
        Query::Nearby { .. } => "가까운 매장이에요.".to_owned(),
        Query::Place(place) => format!("'{}' 근처 매장이에요.", shorten(place, 30)),
        Query::Recent | Query::NeedLocation | Query::NameTooLong => {
            "최근 주문한 매장이에요.".to_owned()
        }
        Query::Start => {
            "최근 주문한 매장이에요. 다른 매장은 '매장 찾기 간편카페'처럼 찾아 보세요.".to_owned()
        }
    };
    let cards = stores
        .iter()
        .filter_map(|s| s.store.as_ref().map(|store| (s, store)))
        .take(RESULTS_MAX as usize)
        .map(|(summary, store)| {
            let mut lines = vec![state_label(store.state).to_owned()];
            if summary.distance_m > 0.0 {
                lines[0].push_str(&format!(" · {}", distance(summary.distance_m)));
            }
            if !store.address.trim().is_empty() {
                lines.push(store.address.trim().to_owned());
            }
            if !store.opening_hours.trim().is_empty() {
                lines.push(format!("영업시간 {}", store.opening_hours.trim()));
            }
            if !store.description.trim().is_empty() {
                lines.push(store.description.trim().to_owned());
            }
            let menu = Button::block(
                "메뉴 보기",
                ob.target(Skill::Menu, &format!("{} 메뉴", shorten(&store.name, 30)))
                    .extra("store_id", store.store_id.clone()),
            );
            let mut card = TextCard::new(store.name.clone(), lines.join("\n")).button(menu)?;
            if !store.phone.trim().is_empty() {
                card = card.button(Button::phone("전화하기", store.phone.trim()))?;
            }
            Ok(card)
        })
        .collect::<Result<Vec<_>, LimitError>>()?;
    if cards.is_empty() {
        return common::text("매장 정보를 불러오지 못했어요.", replies());
    }
    SkillResponse::from_output(SimpleText::new(intro))
        .output(Carousel::new(cards)?)?
        .quick_replies([common::show_cart(ob), common::home(ob)])
}

fn distance(metres: f64) -> String {
    if metres < 1_000.0 {
        format!("{}m", metres.round() as i64)
    } else {
        format!("{:.1}km", metres / 1_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::common::v1::DayState;
    use contracts::store::v1::Store;
    use serde_json::json;

    fn ob() -> OpenBuilder {
        OpenBuilder::load(None).unwrap()
    }

    fn payload(v: serde_json::Value) -> kakao::SkillPayload {
        serde_json::from_value(v).unwrap()
    }

    fn summary(name: &str, state: DayState, distance_m: f64) -> StoreSummary {
        StoreSummary {
            store: Some(Store {
                store_id: "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b".into(),
                name: name.into(),
                address: "서울 강남구 강남대로 396".into(),
                phone: "02-555-0110".into(),
                state: state as i32,
                ..Store::default()
            }),
            distance_m,
            last_ordered_at: None,
        }
    }

    #[test]
    fn the_query_comes_from_params_then_the_utterance() {
        let ob = ob();
        let q = |v| query(&payload(v), &ob);
        assert_eq!(
            q(json!({"userRequest": {"utterance": "매장 찾기 간편카페"}})),
            Query::Name("간편카페".into())
        );
        assert_eq!(
            q(
                json!({"userRequest": {"utterance": "매장"}, "action": {"params": {"store_name": "강남"}}})
            ),
            Query::Name("강남".into())
        );
        assert_eq!(
            q(json!({"action": {"params": {"latitude": "37.5", "longitude": "127.0"}}})),
            Query::Nearby {
                lat: 37.5,
                lng: 127.0
            }
        );
        assert_eq!(
            q(
                json!({"userRequest": {"utterance": "주변 매장"}, "action": {"params": {"sys_location": " 강남역 "}}})
            ),
            Query::Place("강남역".into())
        );
        assert_eq!(
            q(json!({"userRequest": {"utterance": "최근 매장"}})),
            Query::Recent
        );
        assert_eq!(
            q(json!({"userRequest": {"utterance": "주변 매장"}})),
            Query::NeedLocation
        );
        assert_eq!(
            q(json!({"userRequest": {"utterance": "매장 찾기"}})),
            Query::Start
        );
        let long = format!("매장 찾기 https://example.com/{}", "a".repeat(50));
        assert_eq!(
            q(json!({"userRequest": {"utterance": long}})),
            Query::NameTooLong
        );
        assert_eq!(
            q(json!({"action": {"params": {"store_name": "가".repeat(61)}}})),
            Query::NameTooLong
        );
        assert_eq!(
            q(json!({"action": {"params": {"store_name": "가".repeat(500)}}})),
            Query::NameTooLong
        );
        assert_eq!(
            q(json!({"action": {"params": {"store_name": "가".repeat(60)}}})),
            Query::Name("가".repeat(60))
        );
    }

    #[test]
    fn each_result_shows_its_state_and_a_menu_button() {
        let stores = [
            summary("간편카페 강남점", DayState::Open, 120.0),
            summary("간편카페 역삼점", DayState::Break, 1500.0),
            summary("간편카페 선릉점", DayState::Closed, 0.0),
        ];
        let r = render(&ob(), &Query::Name("간편카페".into()), &stores).unwrap();
        let v = r.to_value();
        kakao::validate(&v).unwrap();
        let cards = &v["template"]["outputs"][1]["carousel"]["items"];
        assert_eq!(cards.as_array().unwrap().len(), 3);
        assert!(
            cards[0]["description"]
                .as_str()
                .unwrap()
                .starts_with("영업 중 · 120m")
        );
        assert!(
            cards[1]["description"]
                .as_str()
                .unwrap()
                .starts_with("브레이크 · 1.5km")
        );
        assert!(
            cards[2]["description"]
                .as_str()
                .unwrap()
                .starts_with("영업 종료")
        );
        let menu = &cards[0]["buttons"][0];
        assert_eq!(menu["action"], "block");
        assert_eq!(menu["blockId"], "blk_menu");
        assert_eq!(
            menu["extra"]["store_id"],
            "0190f1a2-7c3e-7d10-9a5b-3c2d1e0f4a5b"
        );
        assert_eq!(cards[0]["buttons"][1]["action"], "phone");
    }

    #[test]
    fn no_result_explains_what_to_do_next() {
        for q in [
            Query::Name("x".repeat(300)),
            Query::NameTooLong,
            Query::Nearby { lat: 0.0, lng: 0.0 },
            Query::Place("강남역 2호선".into()),
            Query::Recent,
            Query::NeedLocation,
            Query::Start,
        ] {
            let v = render(&ob(), &q, &[]).unwrap().to_value();
            kakao::validate(&v).unwrap();
            assert!(v["template"]["quickReplies"].as_array().unwrap().len() >= 2);
        }
    }

    #[test]
    fn a_place_answer_names_the_place_or_says_what_to_do() {
        use contracts::store::v1::Place;
        let ob = ob();
        let found = NearbyStoresByPlaceResponse {
            lookup: PlaceLookup::Found as i32,
            place: Some(Place {
                name: "강남역 2호선".into(),
                ..Place::default()
            }),
            stores: vec![summary("간편카페 강남점", DayState::Open, 80.0)],
        };
        let v = render_place(&ob, "강남역", &found).unwrap().to_value();
        kakao::validate(&v).unwrap();
        assert_eq!(
            v["template"]["outputs"][0]["simpleText"]["text"],
            "'강남역 2호선' 근처 매장이에요."
        );

        for (lookup, says) in [
            (PlaceLookup::NotFound, "더 정확히"),
            (PlaceLookup::Unavailable, "지금은 위치로"),
            (PlaceLookup::Unspecified, "지금은 위치로"),
        ] {
            let answer = NearbyStoresByPlaceResponse {
                lookup: lookup as i32,
                ..NearbyStoresByPlaceResponse::default()
            };
            let v = render_place(&ob, "어딘가", &answer).unwrap().to_value();
            kakao::validate(&v).unwrap();
            let text = v["template"]["outputs"][0]["simpleText"]["text"]
                .as_str()
                .unwrap();
            assert!(text.contains(says), "{lookup:?}: {text}");
            let chips: Vec<&str> = v["template"]["quickReplies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["label"].as_str().unwrap())
                .collect();
            assert!(chips.contains(&"최근 매장"), "{chips:?}");
        }
    }
}
