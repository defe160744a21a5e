//! Reading a skill body as tolerantly as possible. The kakao types already accept unknown
//! fields, nulls and scalars of the wrong kind; a field whose shape is wrong altogether
//! (an object where a string map belongs, say) is dropped here, so one odd field does not cost
//! the customer their answer.

use kakao::SkillPayload;
use serde_json::Value;
use serde_path_to_error::Segment;

/// Fields dropped before giving up; a real payload needs none, a hostile one gets no more.
const MAX_DROPPED_FIELDS: usize = 16;

/// The payload, or `None` when the body is not a JSON object at all.
pub fn parse(body: &[u8]) -> Option<SkillPayload> {
    let mut value: Value = serde_json::from_slice(body).ok()?;
    if !value.is_object() {
        return None;
    }
    for _ in 0..=MAX_DROPPED_FIELDS {
        match serde_path_to_error::deserialize::<_, SkillPayload>(&value) {
            Ok(payload) => return Some(payload),
            Err(e) => {
                let path: Vec<Segment> = e.path().iter().cloned().collect();
                if !remove(&mut value, &path) {
                    return None;
                }
            }
        }
    }
    None
}

/// Removes the value at `path`; false when there is nothing to remove (the root itself).
fn remove(root: &mut Value, path: &[Segment]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut node = root;
    for segment in parents {
        let next = match (segment, node) {
            (Segment::Map { key }, Value::Object(map)) => map.get_mut(key),
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(child) => node = child,
            None => return false,
        }
    }
    match (last, node) {
        (Segment::Map { key }, Value::Object(map)) => map.remove(key).is_some(),
        (Segment::Seq { index }, Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_value(v: Value) -> Option<SkillPayload> {
        parse(v.to_string().as_bytes())
    }

    #[test]
    fn a_wrongly_shaped_field_is_dropped_and_the_rest_kept() {
        let p = parse_value(json!({
            "bot": {"id": "sandbox-bot"},
            "intent": 5,
            "userRequest": {
                "utterance": "메뉴",
                "user": {"id": "u1", "properties": ["not", "an", "object"]},
                "block": "blk"
            },
            "action": {
                "detailParams": {"a": {"value": "x"}, "b": 7},
                "clientExtra": {"store_id": "s1"}
            }
        }))
        .expect("readable");
        assert_eq!(p.bot.id, "sandbox-bot");
        assert_eq!(p.bot_user_key(), Some("u1"));
        assert_eq!(p.utterance(), "메뉴");
        assert_eq!(p.param("a"), Some("x"));
        assert_eq!(p.param("store_id"), Some("s1"));
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_unreadable() {
        for body in [
            &b""[..],
            b"not json",
            b"[]",
            b"\"text\"",
            b"42",
            b"null",
            b"{",
        ] {
            assert!(parse(body).is_none(), "{:?}", String::from_utf8_lossy(body));
        }
        assert!(parse(b"{}").is_some());
    }
}
