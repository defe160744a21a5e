//! KakaoPay online single payment, new generation API (`open-api.kakaopay.com`).
//!
//! JSON bodies, `Authorization: SECRET_KEY {secret key}`, paths `/online/v1/payment/{ready,
//! approve,order,cancel}`. Optional fields are `Option`, unknown fields are ignored, and
//! integers in requests may arrive as strings (KakaoPay's own curl sample sends
//! `"quantity":"1"`). Amounts are whole KRW. Timestamps are naive KST (`2023-07-15T21:18:22`).
//!
//! Failures are sorted by [`classify`] / [`classify_call`] into [`ErrorKind`].

use crate::lenient;
use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub const READY_PATH: &str = "/online/v1/payment/ready";
pub const APPROVE_PATH: &str = "/online/v1/payment/approve";
pub const ORDER_PATH: &str = "/online/v1/payment/order";
pub const CANCEL_PATH: &str = "/online/v1/payment/cancel";

pub const AUTHORIZATION_HEADER: &str = "Authorization";
/// `Authorization: SECRET_KEY {secret key}`.
pub const AUTHORIZATION_SCHEME: &str = "SECRET_KEY";
/// The test merchant code for single payments.
pub const TEST_CID: &str = "TC0ONETIME";

pub fn authorization_value(secret_key: &str) -> String {
    format!("{AUTHORIZATION_SCHEME} {secret_key}")
}

/// The key from an `Authorization: SECRET_KEY …` header value, if it has that scheme.
pub fn parse_authorization(header_value: &str) -> Option<&str> {
    header_value
        .strip_prefix(AUTHORIZATION_SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// A string-valued enum that keeps values it does not know instead of failing.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this crate does not know.
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from(String::deserialize(d)?.as_str()))
            }
        }
    };
}

open_enum!(
    /// Payment status (§2.8).
    PaymentStatus {
        /// After ready.
        Ready = "READY",
        /// Payment request message sent to KakaoTalk.
        SendTms = "SEND_TMS",
        /// The user opened the payment screen.
        OpenPayment = "OPEN_PAYMENT",
        SelectMethod = "SELECT_METHOD",
        ArsWaiting = "ARS_WAITING",
        /// Password authenticated: approve is now allowed.
        AuthPassword = "AUTH_PASSWORD",
        /// Subscription SID issued (not used by single payments).
        IssuedSid = "ISSUED_SID",
        SuccessPayment = "SUCCESS_PAYMENT",
        PartCancelPayment = "PART_CANCEL_PAYMENT",
        CancelPayment = "CANCEL_PAYMENT",
        FailAuthPassword = "FAIL_AUTH_PASSWORD",
        QuitPayment = "QUIT_PAYMENT",
        FailPayment = "FAIL_PAYMENT",
    }
);

/// What a status means for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// Not finished: wait, or ask again later.
    Pending,
    /// Paid.
    Succeeded,
    /// Paid, part refunded.
    PartlyCanceled,
    /// Fully refunded.
    Canceled,
    /// Never paid (user quit, authentication or approval failed).
    Failed,
}

impl PaymentStatus {
    /// `ISSUED_SID` and unknown values are `Pending`: neither may be taken as paid or failed.
    pub fn class(&self) -> StatusClass {
        use PaymentStatus::*;
        match self {
            Ready | SendTms | OpenPayment | SelectMethod | ArsWaiting | AuthPassword
            | IssuedSid | Unknown(_) => StatusClass::Pending,
            SuccessPayment => StatusClass::Succeeded,
            PartCancelPayment => StatusClass::PartlyCanceled,
            CancelPayment => StatusClass::Canceled,
            FailAuthPassword | QuitPayment | FailPayment => StatusClass::Failed,
        }
    }
}

open_enum!(
    PaymentMethodType {
        Card = "CARD",
        Money = "MONEY",
    }
);

open_enum!(
    PaymentActionType {
        Payment = "PAYMENT",
        Cancel = "CANCEL",
        IssuedSid = "ISSUED_SID",
    }
);

/// Amounts in whole KRW. Missing parts read as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Amount {
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub total: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub tax_free: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub vat: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub point: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub discount: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub green_deposit: i64,
}

/// KakaoPay's default VAT: `round((total − tax_free) / 11)`.
pub fn default_vat(total: i64, tax_free: i64) -> i64 {
    let taxable = total - tax_free;
    (taxable as f64 / 11.0).round() as i64
}

// ---------------------------------------------------------------------------------------------
// ready

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadyRequest {
    /// Merchant code (10 chars).
    pub cid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid_secret: Option<String>,
    /// ≤100 chars.
    pub partner_order_id: String,
    /// ≤100 chars; no personal data.
    pub partner_user_id: String,
    /// ≤100 chars.
    pub item_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    #[serde(deserialize_with = "lenient::int")]
    pub quantity: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub total_amount: i64,
    #[serde(deserialize_with = "lenient::int")]
    pub tax_free_amount: i64,
    /// Default `round((total − tax_free)/11)`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub vat_amount: Option<i64>,
    /// Cup deposit; when used, partial cancel is impossible.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub green_deposit: Option<i64>,
    /// ≤255 chars each.
    pub approval_url: String,
    pub cancel_url: String,
    pub fail_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_cards: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_type: Option<PaymentMethodType>,
    /// 0–12.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub install_month: Option<i64>,
    /// `Y`/`N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_share_installment: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_map"
    )]
    pub custom_json: Option<BTreeMap<String, String>>,
}

fn opt_string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map = lenient::string_map(d)?;
    Ok((!map.is_empty()).then_some(map))
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadyResponse {
    /// Payment id (20 chars).
    pub tid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_redirect_app_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_redirect_mobile_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_redirect_pc_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub android_app_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ios_app_scheme: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub created_at: Option<NaiveDateTime>,
    /// Old API only.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_bool"
    )]
    pub tms_result: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// approve

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApproveRequest {
    pub cid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid_secret: Option<String>,
    pub tid: String,
    /// Must equal ready's.
    pub partner_order_id: String,
    /// Must equal ready's.
    pub partner_user_id: String,
    /// From the approval_url query string.
    pub pg_token: String,
    /// Memo ≤200 chars, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Lets KakaoPay reject an amount different from ready's.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub total_amount: Option<i64>,
}

/// Card details of a CARD payment (all text, some sent as numbers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardInfo {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub kakaopay_purchase_corp: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub kakaopay_purchase_corp_code: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub kakaopay_issuer_corp: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub kakaopay_issuer_corp_code: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub bin: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub card_type: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub install_month: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub approved_id: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub card_mid: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub interest_free_install: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub installment_type: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub card_item_code: Option<String>,
    /// Old API.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub purchase_corp: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub purchase_corp_code: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub issuer_corp: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub issuer_corp_code: Option<String>,
}

/// `amount` is required: an answer without it is not trusted (the caller settles by `order`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApproveResponse {
    /// Request id (20 chars).
    #[serde(default)]
    pub aid: String,
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    /// Only with a subscription CID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_type: Option<PaymentMethodType>,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_info: Option<CardInfo>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub item_name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub item_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub quantity: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub created_at: Option<NaiveDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// order (status lookup)

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub cid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid_secret: Option<String>,
    pub tid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectedCardInfo {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub card_bin: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub install_month: Option<i64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub card_corp_name: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub interest_free_install: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub installment_type: Option<String>,
}

/// One payment or cancel step of a TID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentActionDetail {
    #[serde(deserialize_with = "lenient::string")]
    pub aid: String,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub amount: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub point_amount: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub discount_amount: i64,
    #[serde(deserialize_with = "lenient::int_or_zero")]
    pub green_deposit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_action_type: Option<PaymentActionType>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub payload: Option<String>,
}

/// `status` is required: without it the answer says nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderResponse {
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    pub status: PaymentStatus,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_type: Option<PaymentMethodType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canceled_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_available_amount: Option<Amount>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub item_name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub item_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub quantity: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub created_at: Option<NaiveDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub canceled_at: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_card_info: Option<SelectedCardInfo>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub payment_action_details: Vec<PaymentActionDetail>,
}

// ---------------------------------------------------------------------------------------------
// cancel

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CancelRequest {
    pub cid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid_secret: Option<String>,
    pub tid: String,
    /// Amount to cancel now.
    #[serde(deserialize_with = "lenient::int")]
    pub cancel_amount: i64,
    /// Tax-free part of it.
    #[serde(deserialize_with = "lenient::int")]
    pub cancel_tax_free_amount: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub cancel_vat_amount: Option<i64>,
    /// What the caller believes is still cancellable including this request: a concurrency
    /// guard (KakaoPay rejects when it disagrees).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub cancel_available_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// The current API sends no `aid` (the refund's aid is the `order` inquiry's CANCEL action), and
/// `approved_cancel_amount` is not always there: both are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelResponse {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub aid: Option<String>,
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    /// `PART_CANCEL_PAYMENT` until the cumulative cancel reaches the total, then `CANCEL_PAYMENT`.
    pub status: PaymentStatus,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method_type: Option<PaymentMethodType>,
    #[serde(default)]
    pub amount: Amount,
    /// This request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_cancel_amount: Option<Amount>,
    /// Cumulative.
    #[serde(default)]
    pub canceled_amount: Amount,
    /// Remaining.
    #[serde(default)]
    pub cancel_available_amount: Amount,
    #[serde(default, deserialize_with = "lenient::string")]
    pub item_name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub item_code: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub quantity: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub created_at: Option<NaiveDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime"
    )]
    pub canceled_at: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Error codes this system reacts to (§2.9).
pub mod codes {
    pub const MISSING_AUTHORIZATION: i64 = -400;
    pub const BAD_SECRET_KEY: i64 = -401;
    pub const API_NOT_REGISTERED: i64 = -403;
    pub const QUOTA_EXCEEDED: i64 = -429;
    pub const INTERNAL: i64 = -500;
    pub const MAINTENANCE: i64 = -503;
    pub const NOT_AUTHENTICATED_YET: i64 = -701;
    pub const ALREADY_APPROVED: i64 = -702;
    pub const PARTNER_ORDER_ID_MISMATCH: i64 = -706;
    pub const PARTNER_USER_ID_MISMATCH: i64 = -707;
    pub const INVALID_PG_TOKEN: i64 = -708;
    pub const CANCEL_OVER_AVAILABLE: i64 = -710;
    pub const CANCEL_OVER_APPROVED: i64 = -711;
    pub const TID_NOT_FOUND: i64 = -721;
    pub const BAD_AMOUNT: i64 = -722;
    pub const EXPIRED: i64 = -723;
    pub const BAD_CID: i64 = -731;
    pub const APPROVE_FAILED: i64 = -780;
    pub const CANCEL_FAILED: i64 = -781;
    pub const NOT_APPROVABLE: i64 = -783;
    pub const NOT_CANCELABLE: i64 = -784;
    pub const DUPLICATE_REQUEST: i64 = -785;
}

/// Error body `{error_code, error_message, extras}`; the old API's `code`/`msg` are accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(alias = "code", deserialize_with = "lenient::int")]
    pub error_code: i64,
    #[serde(default, alias = "msg", deserialize_with = "lenient::string")]
    pub error_message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<ErrorExtras>,
}

/// Payment method details, e.g. `USER_LOCKED`, `BANK_FIRM_UNKNOWN`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorExtras {
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub method_result_code: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub method_result_message: Option<String>,
}

impl ErrorBody {
    pub fn new(error_code: i64, error_message: impl Into<String>) -> Self {
        ErrorBody {
            error_code,
            error_message: error_message.into(),
            extras: None,
        }
    }

    pub fn method_result_code(&self) -> Option<&str> {
        self.extras.as_ref()?.method_result_code.as_deref()
    }
}

/// How to react to a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// KakaoPay refused before doing anything (quota, maintenance, internal error): the same
    /// request may be sent again later, **but only for a call that is safe to repeat**
    /// ([`Call::retry_safe`]); [`classify_call`] applies that rule.
    Retryable,
    /// The money may or may not have moved (timeout, 5xx, -780, -781, -785, -702): settle by
    /// an `order` inquiry before acting; never re-ready.
    Unclear,
    /// The request was wrong or the payment is in a state that does not allow it; repeating
    /// it gives the same answer.
    Final,
}

/// `http_status` for a call that got no HTTP answer (timeout, connection reset).
pub const NO_RESPONSE: u16 = 0;

/// The refusals §2.9 documents as final: the request was wrong (keys, merchant, ids, amounts,
/// pg_token) or the payment is in a state that never allows it (unknown tid, expired, not
/// approvable or cancelable, limits). Left out on purpose: −701 ("not authenticated yet") says
/// the payment is still waiting, not that it failed, and −780/−781/−782/−785/−702 may hide money
/// that moved (§2.10).
pub fn is_documented_refusal(error_code: i64) -> bool {
    matches!(
        error_code,
        -401..=-400
            | -404..=-403
            | -708..=-703
            | -711..=-710
            | -726..=-721
            | -733..=-730
            | -753..=-750
            | -761
            | -784..=-783
            | -799..=-797
    )
}

/// Classifies a failure by HTTP status (or [`NO_RESPONSE`]) and KakaoPay `error_code`.
///
/// The code decides when there is one: -429/-503/-500 are Retryable, a documented refusal
/// ([`is_documented_refusal`]) is Final unless sent with a 5xx, and every other code — -780,
/// -781, -785, -702, -701, and codes this crate does not know — is Unclear: settled by an
/// inquiry, never taken as a refusal. Without a code: no answer, 408, 5xx or a 2xx whose body
/// could not be read are Unclear, 429 Retryable, the rest Final.
pub fn classify(http_status: u16, error_code: Option<i64>) -> ErrorKind {
    let server_side = (500..=599).contains(&http_status);
    match error_code {
        Some(codes::QUOTA_EXCEEDED | codes::MAINTENANCE | codes::INTERNAL) => ErrorKind::Retryable,
        Some(code) if is_documented_refusal(code) && !server_side => ErrorKind::Final,
        Some(_) => ErrorKind::Unclear,
        None => match http_status {
            NO_RESPONSE | 408 | 200..=299 => ErrorKind::Unclear,
            429 => ErrorKind::Retryable,
            _ if server_side => ErrorKind::Unclear,
            _ => ErrorKind::Final,
        },
    }
}

/// The four calls of a single payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    Ready,
    Approve,
    Order,
    Cancel,
}

impl Call {
    pub fn path(self) -> &'static str {
        match self {
            Call::Ready => READY_PATH,
            Call::Approve => APPROVE_PATH,
            Call::Order => ORDER_PATH,
            Call::Cancel => CANCEL_PATH,
        }
    }

    /// Whether sending the same request twice cannot do harm: `order` reads; a repeated
    /// `approve` answers -702 (already paid); a repeated `ready` leaves an unused TID that
    /// expires. A repeated `cancel` could refund twice, so it is settled by `order` instead.
    pub fn retry_safe(self) -> bool {
        !matches!(self, Call::Cancel)
    }
}

/// [`classify`] for a given call: Retryable becomes Unclear when the call is not retry-safe.
pub fn classify_call(call: Call, http_status: u16, error_code: Option<i64>) -> ErrorKind {
    match classify(http_status, error_code) {
        ErrorKind::Retryable if !call.retry_safe() => ErrorKind::Unclear,
        kind => kind,
    }
}
