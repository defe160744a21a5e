//! What a skill reads from the payload: ids and values from a button's `extra` (or a block
//! parameter of the same name), and free text from the utterance. Anything malformed reads as
//! absent, so a tampered or stale button leads to a "pick again" answer, never to a bad call.

use std::str::FromStr;

use kakao::SkillPayload;

/// Longer texts are not ids or names anyone typed on purpose.
const TEXT_MAX_CHARS: usize = 100;
/// More option ids than any item has option groups times options.
pub const IDS_MAX: usize = 50;

/// A typed id, e.g. `id::<StoreId>(p, "store_id")`.
pub fn id<T: FromStr>(payload: &SkillPayload, key: &str) -> Option<T> {
    text(payload, key).and_then(|s| s.parse().ok())
}

/// A short non-empty text parameter, trimmed.
pub fn text(payload: &SkillPayload, key: &str) -> Option<String> {
    let raw = payload.param(key).map(str::to_owned).or_else(|| {
        payload
            .extra::<serde_json::Number>(key)
            .map(|n| n.to_string())
    })?;
    let trimmed = raw.trim();
    (!trimmed.is_empty() && trimmed.chars().count() <= TEXT_MAX_CHARS).then(|| trimmed.to_owned())
}

/// A list of typed ids from a JSON array or a comma-separated string; malformed entries are
/// skipped, duplicates removed, order kept.
pub fn ids<T: FromStr + PartialEq>(payload: &SkillPayload, key: &str) -> Vec<T> {
    let raw: Vec<String> = payload
        .extra::<Vec<String>>(key)
        .or_else(|| {
            payload
                .param(key)
                .map(|s| s.split(',').map(str::to_owned).collect())
        })
        .unwrap_or_default();
    let mut out: Vec<T> = Vec::new();
    for entry in raw.iter().take(IDS_MAX) {
        if let Ok(id) = entry.trim().parse::<T>()
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

pub fn number(payload: &SkillPayload, key: &str) -> Option<u32> {
    payload
        .extra::<u32>(key)
        .or_else(|| payload.param(key).and_then(|s| s.trim().parse().ok()))
}

pub fn flag(payload: &SkillPayload, key: &str) -> bool {
    payload.extra::<bool>(key).unwrap_or(false)
}

/// A coordinate from a plain number, a `sys.number` entity (`{"amount": 37.5}`) or a number
/// in `extra`; only finite values within `range`.
pub fn coordinate(payload: &SkillPayload, key: &str, range: (f64, f64)) -> Option<f64> {
    let value = payload.extra::<f64>(key).or_else(|| {
        let raw = payload.param(key)?.trim();
        raw.parse::<f64>().ok().or_else(|| {
            serde_json::from_str::<serde_json::Value>(raw)
                .ok()?
                .get("amount")?
                .as_f64()
        })
    })?;
    (value.is_finite() && value >= range.0 && value <= range.1).then_some(value)
}

/// What the customer said after one of the block's utterances, e.g. "간편카페" from
/// "매장 찾기 간편카페". The longest matching utterance is removed; an utterance that matches
/// none of them is returned whole. Nothing is cut: the skill judges the length, so that it
/// can tell the customer.
pub fn rest_of_utterance(utterance: &str, prefixes: &[String]) -> String {
    let said = utterance.trim();
    let rest = prefixes
        .iter()
        .filter(|p| !p.is_empty() && said.starts_with(p.as_str()))
        .max_by_key(|p| p.len())
        .map_or(said, |p| &said[p.len()..]);
    rest.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ItemId, OptionId};
    use serde_json::json;

    fn payload(action: serde_json::Value) -> SkillPayload {
        serde_json::from_value(json!({ "action": action })).unwrap()
    }

    #[test]
    fn ids_come_from_extras_or_params_and_bad_ones_read_as_absent() {
        let item = ItemId::new();
        let p = payload(json!({
            "params": {"item_id": item.to_string(), "bad": "not-a-uuid"},
            "clientExtra": {"store_id": "  ", "long": "x".repeat(500)}
        }));
        assert_eq!(id::<ItemId>(&p, "item_id"), Some(item));
        assert_eq!(id::<ItemId>(&p, "bad"), None);
        assert_eq!(text(&p, "store_id"), None);
        assert_eq!(text(&p, "long"), None);
        assert_eq!(text(&p, "missing"), None);
    }

    #[test]
    fn option_ids_accept_arrays_and_comma_lists() {
        let (a, b) = (OptionId::new(), OptionId::new());
        let p = payload(
            json!({"clientExtra": {"option_ids": [a.to_string(), "junk", a.to_string(), b.to_string()]}}),
        );
        assert_eq!(ids::<OptionId>(&p, "option_ids"), vec![a, b]);
        let p = payload(json!({"clientExtra": {"option_ids": format!("{a}, {b}")}}));
        assert_eq!(ids::<OptionId>(&p, "option_ids"), vec![a, b]);
        let p = payload(json!({"clientExtra": {"option_ids": {"x": 1}}}));
        assert!(ids::<OptionId>(&p, "option_ids").is_empty());
    }

    #[test]
    fn numbers_flags_and_coordinates_are_read_leniently() {
        let p = payload(json!({
            "params": {"latitude": "{\"amount\":37.5,\"unit\":null}", "longitude": "127.03", "quantity": "3"},
            "clientExtra": {"replace": true, "page": "2", "lat_bad": "NaN"}
        }));
        assert_eq!(number(&p, "quantity"), Some(3));
        assert_eq!(number(&p, "page"), Some(2));
        assert!(flag(&p, "replace"));
        assert!(!flag(&p, "missing"));
        assert_eq!(coordinate(&p, "latitude", (-90.0, 90.0)), Some(37.5));
        assert_eq!(coordinate(&p, "longitude", (-180.0, 180.0)), Some(127.03));
        assert_eq!(coordinate(&p, "longitude", (-90.0, 90.0)), None);
        assert_eq!(coordinate(&p, "lat_bad", (-90.0, 90.0)), None);
    }

    #[test]
    fn the_rest_of_an_utterance_drops_the_longest_matching_prefix() {
        let prefixes = vec!["닉네임".to_owned(), "닉네임 설정".to_owned()];
        assert_eq!(rest_of_utterance("닉네임 설정 홍길동", &prefixes), "홍길동");
        assert_eq!(rest_of_utterance("닉네임 민수", &prefixes), "민수");
        assert_eq!(rest_of_utterance("닉네임", &prefixes), "");
        assert_eq!(rest_of_utterance(" 간편카페 ", &prefixes), "간편카페");
    }
}
