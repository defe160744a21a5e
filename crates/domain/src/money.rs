//! Whole Korean won. KRW has no minor unit, so an `i64` of won is exact and
//! matches the `bigint` columns; arithmetic is checked because an overflowing
//! total must be refused, never wrapped or panicked on.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in whole KRW.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// An amount too large to represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct MoneyOverflow;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn won(won: i64) -> Self {
        Self(won)
    }

    pub const fn as_won(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyOverflow> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyOverflow)
    }

    pub fn checked_mul(self, factor: u32) -> Result<Money, MoneyOverflow> {
        self.0
            .checked_mul(i64::from(factor))
            .map(Money)
            .ok_or(MoneyOverflow)
    }

    pub fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyOverflow> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }
}

impl fmt::Display for Money {
    /// "4,500원", "-1,000원".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 4);
        if self.0 < 0 {
            grouped.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        grouped.push('원');
        f.write_str(&grouped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_korean_won_with_separators() {
        assert_eq!(Money::won(0).to_string(), "0원");
        assert_eq!(Money::won(500).to_string(), "500원");
        assert_eq!(Money::won(4_500).to_string(), "4,500원");
        assert_eq!(Money::won(100_000).to_string(), "100,000원");
        assert_eq!(Money::won(1_234_567).to_string(), "1,234,567원");
        assert_eq!(Money::won(-1_000).to_string(), "-1,000원");
        assert_eq!(
            Money::won(i64::MIN).to_string(),
            "-9,223,372,036,854,775,808원"
        );
    }

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        assert_eq!(
            Money::won(4_500).checked_add(Money::won(500)),
            Ok(Money::won(5_000))
        );
        assert_eq!(Money::won(4_500).checked_mul(3), Ok(Money::won(13_500)));
        assert_eq!(
            Money::won(i64::MAX).checked_add(Money::won(1)),
            Err(MoneyOverflow)
        );
        assert_eq!(
            Money::won(i64::MAX / 2 + 1).checked_mul(2),
            Err(MoneyOverflow)
        );
    }

    #[test]
    fn sum_adds_everything_or_fails() {
        let total = Money::sum([Money::won(4_500), Money::won(500), Money::won(3_000)]);
        assert_eq!(total, Ok(Money::won(8_000)));
        assert_eq!(Money::sum([]), Ok(Money::ZERO));
        assert_eq!(
            Money::sum([Money::won(i64::MAX), Money::won(1)]),
            Err(MoneyOverflow)
        );
    }

    #[test]
    fn serde_is_a_plain_number() {
        assert_eq!(serde_json::to_string(&Money::won(4_500)).unwrap(), "4500");
        let m: Money = serde_json::from_str("4500").unwrap();
        assert_eq!(m, Money::won(4_500));
    }
}
