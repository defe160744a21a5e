//! Deserialize helpers for fields whose JSON type varies between Kakao's docs, samples and
//! real traffic (numbers sent as strings, `null` where an object is expected).

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

fn value_to_i64<E: de::Error>(v: Value) -> Result<i64, E> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| E::custom(format!("expected an integer, got {n}"))),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| E::custom(format!("expected an integer, got {s:?}"))),
        other => Err(E::custom(format!("expected an integer, got {other}"))),
    }
}

/// An integer sent as a JSON number or as a string (`"quantity":"1"` in KakaoPay's curl sample).
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    value_to_i64(Value::deserialize(d)?)
}

/// Like [`int`], with `null` meaning 0 (amount parts KakaoPay leaves empty).
pub fn int_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_int(d)?.unwrap_or(0))
}

/// Like [`int`], with `null` (or an empty string) meaning absent. Use with `#[serde(default)]`.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        v => value_to_i64(v).map(Some),
    }
}

/// Scalars as text: strings unchanged, numbers and booleans as their JSON text.
fn scalar_to_string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A string that may arrive as a number (e.g. card `install_month`). `null` means absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_to_string(Value::deserialize(d)?))
}

/// A string field that may be `null` or a scalar of another type; `null` becomes "".
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(scalar_to_string(Value::deserialize(d)?).unwrap_or_default())
}

/// A string→string map whose values may be other scalars; `null` (map or value) is dropped.
pub fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(m) => Ok(m
            .into_iter()
            .filter_map(|(k, v)| scalar_to_string(v).map(|v| (k, v)))
            .collect()),
        _ => Ok(BTreeMap::new()),
    }
}

/// A JSON object that may be `null`, the legacy string `"null"`, or an object encoded as a
/// string; anything that is not an object becomes empty.
pub fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(m) => m,
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        },
        _ => Map::new(),
    })
}

/// A boolean that may arrive as `"true"`/`"false"`; anything else means absent.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim() {
            "true" | "TRUE" | "True" => Some(true),
            "false" | "FALSE" | "False" => Some(false),
            _ => None,
        },
        _ => None,
    })
}

/// A value whose own type is strict but which may be `null` meaning default.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// KakaoPay timestamps: `yyyy-MM-ddTHH:mm:ss` without offset (KST), sometimes with fractions,
/// a space separator or an offset (then its local time is kept). Unreadable text or `null`
/// is absent rather than an error, so a payment answer is never lost over a timestamp.
pub fn opt_datetime<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::NaiveDateTime>, D::Error> {
    let Some(text) = scalar_to_string(Value::deserialize(d)?) else {
        return Ok(None);
    };
    let text = text.trim();
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok());
    Ok(naive.or_else(|| {
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|dt| dt.naive_local())
    }))
}
