//! The JSON shapes of the store API and their conversions from the store service's messages.
//! The OpenAPI document is generated from these types.

use chrono::{DateTime, Utc};
use contracts::common::v1 as common;
use contracts::store::v1 as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub fn time(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(contracts::time::datetime)
}

// ---- sessions -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ViewerJoinInput {
    /// The code from the one-time link (`/#viewer=<code>`).
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Full control of the store.
    Admin,
    /// Read-only (the board on a second device).
    Viewer,
}

/// The signed-in session as the UI sees it (never the session id: that stays in the cookie).
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub store_id: String,
    pub store_name: String,
    pub login: String,
    pub role: RoleName,
    /// Absolute expiry of the session.
    pub expires_at: Option<DateTime<Utc>>,
    /// Expiry if left idle from now on.
    pub idle_expires_at: Option<DateTime<Utc>>,
}

impl Me {
    pub fn new(session: &store::Session, store_name: String) -> Me {
        let role = match store::Role::try_from(session.role) {
            Ok(store::Role::Admin) => RoleName::Admin,
            _ => RoleName::Viewer,
        };
        Me {
            store_id: session.store_id.clone(),
            store_name,
            login: session.login_id.clone(),
            role,
            expires_at: time(session.expires_at.as_ref()),
            idle_expires_at: time(session.idle_expires_at.as_ref()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResult {
    pub me: Me,
    /// True when this login signed out an older admin session (another tab or device).
    pub replaced_previous: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ViewerLink {
    /// Open this on the second device; it works once, until `expires_at`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

// ---- business day ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayStateName {
    /// 준비
    Preparing,
    /// 영업: the only state that takes orders.
    Open,
    /// 브레이크
    Break,
    /// 마감 중
    Closing,
    /// 마감, or no business day.
    Closed,
}

impl DayStateName {
    pub fn from_proto(state: i32) -> DayStateName {
        match common::DayState::try_from(state) {
            Ok(common::DayState::Preparing) => DayStateName::Preparing,
            Ok(common::DayState::Open) => DayStateName::Open,
            Ok(common::DayState::Break) => DayStateName::Break,
            Ok(common::DayState::Closing) => DayStateName::Closing,
            _ => DayStateName::Closed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayActionName {
    /// 영업 준비: starts a business day.
    Ready,
    /// 영업 시작
    Open,
    /// 브레이크
    Break,
    /// 영업 재개 (from break or closing)
    Resume,
    /// 마감 시작
    StartClosing,
    /// 마감
    Close,
}

impl DayActionName {
    pub fn to_proto(self) -> store::DayAction {
        match self {
            DayActionName::Ready => store::DayAction::Ready,
            DayActionName::Open => store::DayAction::Open,
            DayActionName::Break => store::DayAction::Break,
            DayActionName::Resume => store::DayAction::Resume,
            DayActionName::StartClosing => store::DayAction::StartClosing,
            DayActionName::Close => store::DayAction::Close,
        }
    }

    fn from_proto(action: i32) -> Option<DayActionName> {
        Some(match store::DayAction::try_from(action).ok()? {
            store::DayAction::Ready => DayActionName::Ready,
            store::DayAction::Open => DayActionName::Open,
            store::DayAction::Break => DayActionName::Break,
            store::DayAction::Resume => DayActionName::Resume,
            store::DayAction::StartClosing => DayActionName::StartClosing,
            store::DayAction::Close => DayActionName::Close,
            store::DayAction::Unspecified => return None,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DayActionInput {
    pub action: DayActionName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DaySummary {
    pub order_count: u32,
    pub placed_count: u32,
    pub ready_count: u32,
    pub canceled_count: u32,
    pub failed_count: u32,
    /// KRW won.
    pub gross: i64,
    pub canceled: i64,
    pub net: i64,
}

/// The store's business day and what may be done next.
#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    pub state: DayStateName,
    /// Empty when there is no live business day.
    pub day_business_id: String,
    pub prepared_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closing_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// While closing: the earliest time closing can complete.
    pub close_possible_at: Option<DateTime<Utc>>,
    /// The legal next actions, in the order the UI shows them.
    pub allowed_actions: Vec<DayActionName>,
    pub summary: Option<DaySummary>,
}

impl Day {
    pub fn from_proto(day: store::BusinessDay) -> Day {
        Day {
            state: DayStateName::from_proto(day.state),
            day_business_id: day.day_business_id,
            prepared_at: time(day.prepared_at.as_ref()),
            opened_at: time(day.opened_at.as_ref()),
            closing_at: time(day.closing_at.as_ref()),
            closed_at: time(day.closed_at.as_ref()),
            close_possible_at: time(day.close_possible_at.as_ref()),
            allowed_actions: day
                .allowed_actions
                .into_iter()
                .filter_map(DayActionName::from_proto)
                .collect(),
            summary: day.summary.map(|s| DaySummary {
                order_count: s.order_count,
                placed_count: s.placed_count,
                ready_count: s.ready_count,
                canceled_count: s.canceled_count,
                failed_count: s.failed_count,
                gross: s.gross,
                canceled: s.canceled,
                net: s.net,
            }),
        }
    }
}

// ---- menu document --------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    pub id: String,
    pub name: String,
    /// Items of the category in display order.
    pub item_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub description: String,
    /// KRW won.
    pub price: i64,
    /// Hidden from customers (items are disabled, never deleted).
    pub disabled: bool,
    /// Sold out today.
    pub sold_out: bool,
    /// Option groups of the item in display order.
    pub selection_ids: Vec<String>,
    pub image_url: String,
}

/// An option group with how many options a customer must / may choose.
#[derive(Debug, Serialize, ToSchema)]
pub struct Selection {
    pub id: String,
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub option_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MenuOption {
    pub id: String,
    pub name: String,
    /// Extra price in KRW won (may be 0).
    pub price: i64,
    pub disabled: bool,
    pub sold_out: bool,
}

/// Editor-only grouping of option groups (not shown to customers).
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionCategory {
    pub id: String,
    pub name: String,
    /// The option groups of the category, in order.
    pub selection_ids: Vec<String>,
    /// The options of those groups, in order (derived).
    pub option_ids: Vec<String>,
}

/// The store's menu document: every list is in display order; disabled and sold-out entries are
/// included and marked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Menu {
    pub store_id: String,
    pub store_name: String,
    /// Increases with every menu change.
    pub version: i64,
    pub built_at: Option<DateTime<Utc>>,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    pub selections: Vec<Selection>,
    pub options: Vec<MenuOption>,
    pub option_categories: Vec<OptionCategory>,
}

impl Menu {
    pub fn from_proto(menu: common::Menu) -> Menu {
        Menu {
            store_id: menu.store_id,
            store_name: menu.store_name,
            version: menu.version,
            built_at: time(menu.built_at.as_ref()),
            categories: menu
                .categories
                .into_iter()
                .map(|c| Category {
                    id: c.id,
                    name: c.name,
                    item_ids: c.item_ids,
                })
                .collect(),
            items: menu
                .items
                .into_iter()
                .map(|i| Item {
                    id: i.id,
                    name: i.name,
                    description: i.description,
                    price: i.price,
                    disabled: i.disabled,
                    sold_out: i.sold_out,
                    selection_ids: i.selection_ids,
                    image_url: i.image_url,
                })
                .collect(),
            selections: menu
                .selections
                .into_iter()
                .map(|s| Selection {
                    id: s.id,
                    name: s.name,
                    min: s.min,
                    max: s.max,
                    option_ids: s.option_ids,
                })
                .collect(),
            options: menu
                .options
                .into_iter()
                .map(|o| MenuOption {
                    id: o.id,
                    name: o.name,
                    price: o.price,
                    disabled: o.disabled,
                    sold_out: o.sold_out,
                })
                .collect(),
            option_categories: menu
                .option_categories
                .into_iter()
                .map(|c| OptionCategory {
                    id: c.id,
                    name: c.name,
                    selection_ids: c.selection_ids,
                    option_ids: c.option_ids,
                })
                .collect(),
        }
    }
}

// ---- menu edits -----------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryInput {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// KRW won.
    pub price: i64,
    #[serde(default)]
    pub image_url: String,
    /// On create only: the categories the new item is appended to.
    #[serde(default)]
    pub category_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SelectionInput {
    pub name: String,
    /// At least this many options must be chosen (0 = optional).
    pub min: u32,
    /// At most this many options may be chosen.
    pub max: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptionInput {
    pub name: String,
    /// Extra price in KRW won (may be 0).
    #[serde(default)]
    pub price: i64,
    /// On create only: the option groups the new option is appended to.
    #[serde(default)]
    pub selection_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptionCategoryInput {
    pub name: String,
    /// On create only: the option groups of the new category, in order.
    #[serde(default)]
    pub selection_ids: Vec<Uuid>,
}

/// Replaces an ordered list: membership and order at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemIds {
    pub item_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SelectionIds {
    pub selection_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OptionIds {
    pub option_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryIds {
    pub category_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DisabledInput {
    pub disabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SoldOutInput {
    pub sold_out: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EditResult {
    /// The created or updated entry; empty for list and order edits.
    pub id: String,
    /// The menu version this edit produced.
    pub version: i64,
}

pub fn ids(ids: &[Uuid]) -> Vec<String> {
    ids.iter().map(Uuid::to_string).collect()
}
