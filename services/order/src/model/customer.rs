//! A customer as the service knows them: Kakao's keys and the nickname they chose.

use chrono::{DateTime, Utc};
use domain::CustomerId;
use serde::{Deserialize, Serialize};

/// Cached as JSON by [`crate::customer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub bot_user_key: String,
    pub plusfriend_user_key: Option<String>,
    pub nickname: Option<String>,
    pub created_at: DateTime<Utc>,
}
