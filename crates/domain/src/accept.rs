//! Accepting an order (접수): the preparation time the store promises, its default, the busy
//! surcharge and auto-accept, and when a promise is broken.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The one-tap choices on the board.
pub const QUICK_MINUTES: [u32; 4] = [5, 10, 15, 20];
/// What "바쁨 +10분" adds to the store's default time.
pub const BUSY_EXTRA_MINUTES: u32 = 10;
pub const MIN_MINUTES: u32 = 1;
/// Longer than this is not a pickup order any more.
pub const MAX_MINUTES: u32 = 120;
/// A new store's default preparation time.
pub const DEFAULT_MINUTES: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("준비 시간은 {MIN_MINUTES}분에서 {MAX_MINUTES}분 사이로 정해 주세요.")]
pub struct BadPrepTime;

/// Minutes of preparation, within [`MIN_MINUTES`]..=[`MAX_MINUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PrepMinutes(u32);

impl PrepMinutes {
    pub fn new(minutes: u32) -> Result<PrepMinutes, BadPrepTime> {
        if (MIN_MINUTES..=MAX_MINUTES).contains(&minutes) {
            Ok(PrepMinutes(minutes))
        } else {
            Err(BadPrepTime)
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// When an order accepted at `accepted_at` with this time is promised to be ready.
    pub fn promised_at(self, accepted_at: DateTime<Utc>) -> DateTime<Utc> {
        accepted_at + Duration::minutes(i64::from(self.0))
    }
}

impl TryFrom<u32> for PrepMinutes {
    type Error = BadPrepTime;

    fn try_from(minutes: u32) -> Result<Self, Self::Error> {
        PrepMinutes::new(minutes)
    }
}

impl From<PrepMinutes> for u32 {
    fn from(minutes: PrepMinutes) -> u32 {
        minutes.0
    }
}

/// How a store accepts its orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptSettings {
    /// The usual preparation time.
    pub prep: PrepMinutes,
    /// "바쁨": the default time is raised by [`BUSY_EXTRA_MINUTES`].
    pub busy: bool,
    /// Every paid order is accepted at once with the default time.
    pub auto_accept: bool,
}

impl Default for AcceptSettings {
    fn default() -> Self {
        AcceptSettings {
            prep: PrepMinutes(DEFAULT_MINUTES),
            busy: false,
            auto_accept: false,
        }
    }
}

impl AcceptSettings {
    /// The time of the board's "기본" button and of auto-accept.
    pub fn default_minutes(&self) -> PrepMinutes {
        let extra = if self.busy { BUSY_EXTRA_MINUTES } else { 0 };
        PrepMinutes((self.prep.0 + extra).min(MAX_MINUTES))
    }

    /// The time of an accept: the one asked for, or the default.
    pub fn minutes(&self, asked: Option<u32>) -> Result<PrepMinutes, BadPrepTime> {
        asked.map_or(Ok(self.default_minutes()), PrepMinutes::new)
    }
}

/// An accepted order not ready by its promised time is late.
pub fn is_late(promised_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > promised_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_bounded() {
        assert_eq!(PrepMinutes::new(0), Err(BadPrepTime));
        assert_eq!(PrepMinutes::new(1).map(PrepMinutes::get), Ok(1));
        assert_eq!(PrepMinutes::new(120).map(PrepMinutes::get), Ok(120));
        assert_eq!(PrepMinutes::new(121), Err(BadPrepTime));
        for quick in QUICK_MINUTES {
            assert!(PrepMinutes::new(quick).is_ok());
        }
        assert!(serde_json::from_str::<PrepMinutes>("0").is_err());
        assert_eq!(serde_json::from_str::<PrepMinutes>("15").unwrap().get(), 15);
        assert_eq!(
            BadPrepTime.to_string(),
            "준비 시간은 1분에서 120분 사이로 정해 주세요."
        );
    }

    #[test]
    fn busy_raises_the_default_but_not_a_chosen_time() {
        let calm = AcceptSettings {
            prep: PrepMinutes::new(12).unwrap(),
            ..AcceptSettings::default()
        };
        let busy = AcceptSettings { busy: true, ..calm };
        assert_eq!(calm.minutes(None).unwrap().get(), 12);
        assert_eq!(busy.minutes(None).unwrap().get(), 22);
        assert_eq!(busy.minutes(Some(5)).unwrap().get(), 5);
        assert_eq!(busy.minutes(Some(0)), Err(BadPrepTime));
        let slow = AcceptSettings {
            prep: PrepMinutes::new(115).unwrap(),
            busy: true,
            auto_accept: false,
        };
        assert_eq!(slow.default_minutes().get(), MAX_MINUTES);
        assert_eq!(AcceptSettings::default().default_minutes().get(), 10);
    }

    #[test]
    fn a_promise_is_late_only_after_its_time() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let promised = PrepMinutes::new(10).unwrap().promised_at(at);
        assert_eq!((promised - at).num_minutes(), 10);
        assert!(!is_late(promised, promised));
        assert!(is_late(promised, promised + Duration::seconds(1)));
    }
}
