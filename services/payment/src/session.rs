//! Payment sessions and tokens (DESIGN §5 Place): a customer's live payment, and the opaque
//! token in the KakaoPay redirect URLs that leads back to it. Pure; Redis is in `storage`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use domain::{BusinessDayId, CustomerId, Money, OrderId, StoreId};
use serde::{Deserialize, Serialize};

/// 192 random bits: well over the 128 the design asks for, and a whole number of base64 digits.
const TOKEN_BYTES: usize = 24;
const TOKEN_LEN: usize = TOKEN_BYTES * 4 / 3;

/// A single-use payment token. Whoever holds it can approve the payment it is bound to, so it
/// is a secret: `Debug` hides it and nothing logs it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Token {
        Token(URL_SAFE_NO_PAD.encode(rand::random::<[u8; TOKEN_BYTES]>()))
    }

    /// A token as it arrives in a URL, or `None` when the text cannot be one of ours.
    pub fn parse(text: &str) -> Option<Token> {
        let well_formed = text.len() == TOKEN_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Token(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// What a token is bound to, server-side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub store_id: StoreId,
    pub day_business_id: BusinessDayId,
    /// KakaoPay's payment id.
    pub tid: String,
    pub amount: Money,
    /// The cart version the customer agreed to.
    pub cart_id: String,
    /// As sent to ready; approve must send them again.
    pub partner_order_id: String,
    pub partner_user_id: String,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub created_at: DateTime<Utc>,
    /// End of the payment window.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub expires_at: DateTime<Utc>,
    /// The trace of the request that placed the order, for the approval's trace to link to.
    #[serde(default)]
    pub traceparent: Option<String>,
}

/// Where KakaoPay's ready sent the customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub mobile: String,
    pub pc: String,
    pub app: String,
    pub android_app_scheme: String,
    pub ios_app_scheme: String,
}

/// The customer's live payment: at most one per customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token: Token,
    pub binding: Binding,
    pub redirect: Redirect,
}

impl Session {
    /// Tapping 결제하기 again for the same cart version returns the same payment, as long as
    /// enough of its window is left to pay in; otherwise a new payment replaces it.
    pub fn reusable_for(
        &self,
        cart_id: &str,
        amount: Money,
        now: DateTime<Utc>,
        min_remaining: Duration,
    ) -> bool {
        let min_remaining = TimeDelta::from_std(min_remaining).unwrap_or(TimeDelta::MAX);
        self.binding.cart_id == cart_id
            && self.binding.amount == amount
            && self.binding.expires_at - now > min_remaining
    }
}

/// The gateway routes KakaoPay sends the browser back to (DESIGN §3), carrying the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrls {
    pub approval: String,
    pub cancel: String,
    pub fail: String,
}

impl CallbackUrls {
    pub fn new(public_base_url: &str, token: &Token) -> CallbackUrls {
        let base = public_base_url.trim_end_matches('/');
        let token = token.as_str();
        CallbackUrls {
            approval: format!("{base}/pay/kakaopay/approval/{token}"),
            cancel: format!("{base}/pay/kakaopay/cancel/{token}"),
            fail: format!("{base}/pay/kakaopay/fail/{token}"),
        }
    }
}

/// KakaoPay's `item_name` holds at most 100 characters.
pub fn item_name(name: &str) -> String {
    const MAX: usize = 100;
    let name = name.trim();
    if name.chars().count() <= MAX {
        return name.to_owned();
    }
    let mut cut: String = name.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(cart_id: &str, amount: i64, expires_in_secs: i64) -> Session {
        let now = Utc::now();
        Session {
            token: Token::generate(),
            binding: Binding {
                order_id: OrderId::new(),
                customer_id: CustomerId::new(),
                store_id: StoreId::new(),
                day_business_id: BusinessDayId::new(),
                tid: "T1234567890123456789".into(),
                amount: Money::won(amount),
                cart_id: cart_id.into(),
                partner_order_id: "o".into(),
                partner_user_id: "u".into(),
                created_at: now,
                expires_at: now + chrono::Duration::seconds(expires_in_secs),
                traceparent: None,
            },
            redirect: Redirect::default(),
        }
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        let bytes = URL_SAFE_NO_PAD.decode(a.as_str()).unwrap();
        assert_eq!(bytes.len() * 8, 192);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = Token::generate();
        for bad in [
            "",
            "short",
            &format!("{}=", &good.as_str()[..31]),
            &format!("{}/", &good.as_str()[..31]),
            &format!("{}a", good.as_str()),
        ] {
            assert_eq!(Token::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let s = session("c", 1, 60);
        let shown = format!("{s:?}");
        assert!(!shown.contains(s.token.as_str()));
        assert!(shown.contains("Token(..)"));
    }

    #[test]
    fn same_cart_and_amount_with_time_left_is_reused() {
        let now = Utc::now();
        let min = Duration::from_secs(60);
        let s = session("1700000000000-3", 12_000, 600);
        assert!(s.reusable_for("1700000000000-3", Money::won(12_000), now, min));
        assert!(!s.reusable_for("1700000000000-4", Money::won(12_000), now, min));
        assert!(!s.reusable_for("1700000000000-3", Money::won(12_500), now, min));
        let nearly_over = session("1700000000000-3", 12_000, 30);
        assert!(!nearly_over.reusable_for("1700000000000-3", Money::won(12_000), now, min));
        let over = session("1700000000000-3", 12_000, -5);
        assert!(!over.reusable_for("1700000000000-3", Money::won(12_000), now, min));
        assert!(!over.reusable_for("1700000000000-3", Money::won(12_000), now, Duration::ZERO));
    }

    #[test]
    fn callback_urls_carry_the_token_on_the_gateway_routes() {
        let token = Token::generate();
        let urls = CallbackUrls::new("https://order.example.com/", &token);
        assert_eq!(
            urls.approval,
            format!(
                "https://order.example.com/pay/kakaopay/approval/{}",
                token.as_str()
            )
        );
        assert!(
            urls.cancel
                .ends_with(&format!("/cancel/{}", token.as_str()))
        );
        assert!(urls.fail.ends_with(&format!("/fail/{}", token.as_str())));
    }

    #[test]
    fn item_names_fit_kakaopay() {
        assert_eq!(item_name(" 아메리카노 외 2건 "), "아메리카노 외 2건");
        let long = "가".repeat(150);
        let cut = item_name(&long);
        assert_eq!(cut.chars().count(), 100);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn sessions_round_trip_through_json() {
        let s = session("c-1", 4_500, 900);
        let json = serde_json::to_string(&s).unwrap();
        let back: Session = serde_json::from_str(&json).unwrap();
        // Milliseconds survive; finer precision is not kept.
        assert_eq!(
            back.binding.expires_at.timestamp_millis(),
            s.binding.expires_at.timestamp_millis()
        );
        assert_eq!(back.token, s.token);
        assert_eq!(back.binding.amount, Money::won(4_500));
    }
}
