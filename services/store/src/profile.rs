//! The store's profile as staff edit it: address, phone, description and opening hours. A new
//! address is located with Kakao Local's address search before anything is written, so a store
//! either keeps its old profile or gets the new one with a location that matches it; from then
//! on an open store is in nearby search.

use std::sync::Arc;

use domain::StoreId;
use redis::aio::ConnectionManager;
use sqlx::PgPool;

use crate::admin::{self, StoreProfile};
use crate::error::StoreError;
use crate::places::{Located, Places};
use crate::storage::StoreKeys;
use crate::storage::day as days;
use crate::storage::stores::{self, ProfileRow};

/// A profile as staff typed it, trimmed; an empty address or phone is none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub description: String,
    pub opening_hours: String,
}

fn optional(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

impl Profile {
    pub fn new(address: &str, phone: &str, description: &str, opening_hours: &str) -> Profile {
        Profile {
            address: optional(address),
            phone: optional(phone),
            description: description.trim().to_owned(),
            opening_hours: opening_hours.trim().to_owned(),
        }
    }

    pub fn validate(&self) -> Result<(), StoreError> {
        admin::validate_profile(&StoreProfile {
            address: self.address.clone(),
            phone: self.phone.clone(),
            description: self.description.clone(),
            location: None,
        })?;
        admin::validate_profile_text("영업시간", &self.opening_hours, true)?;
        Ok(())
    }
}

pub struct Profiles {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
    pub places: Arc<Places>,
}

impl Profiles {
    /// Saves the profile; returns where the address was located (none without an address).
    pub async fn update(
        &self,
        store_id: StoreId,
        profile: &Profile,
    ) -> Result<Option<Located>, StoreError> {
        profile.validate()?;
        let current = stores::store(&self.pool, store_id)
            .await?
            .ok_or_else(not_found)?;
        let location = match &profile.address {
            None => None,
            Some(address) => Some(self.locate(&current, address).await?),
        };

        let mut tx = self.pool.begin().await?;
        if !days::lock_store(&mut tx, store_id.as_uuid()).await? {
            return Err(not_found());
        }
        let row = ProfileRow {
            address: profile.address.as_deref(),
            phone: profile.phone.as_deref(),
            description: &profile.description,
            opening_hours: &profile.opening_hours,
        };
        stores::update_profile(&mut tx, store_id, &row).await?;
        let at = location
            .as_ref()
            .map(|l| (l.lat, l.lng, l.address.as_str()));
        stores::set_location(&mut tx, store_id, at).await?;
        let live = days::active_day(&mut tx, store_id.as_uuid()).await?;
        tx.commit().await?;
        tracing::info!(%store_id, located = location.is_some(), "store profile saved");

        // An open store moves in (or out of) nearby search now; a failed write is repaired by
        // the day reconciler, which copies locations from Postgres.
        if let Some(day) = live {
            let point = location.as_ref().map(|l| (l.lat, l.lng));
            if let Err(e) = days::write_live(&self.redis, &self.keys, &day, point).await {
                tracing::warn!(%store_id, error = %e, "nearby search not updated; the reconciler will");
            }
        }
        Ok(location)
    }

    /// Where `address` is. The address the store already has keeps its location, so saving a
    /// new phone number needs no Kakao call.
    async fn locate(
        &self,
        current: &stores::StoreRow,
        address: &str,
    ) -> Result<Located, StoreError> {
        if current.address.as_deref() == Some(address)
            && let (Some(lat), Some(lng)) = (current.latitude, current.longitude)
        {
            let located = current.located_address.as_deref().unwrap_or(address);
            return Ok(Located {
                name: located.to_owned(),
                address: located.to_owned(),
                lat,
                lng,
            });
        }
        match self.places.locate_address(address).await {
            Ok(Some(located)) => Ok(located),
            Ok(None) => Err(StoreError::Invalid(
                "주소를 찾지 못했습니다. 도로명 주소로 입력해 주세요 (예: 서울 강남구 강남대로 396)"
                    .to_owned(),
            )),
            Err(_) => Err(StoreError::Unavailable(
                "주소의 위치를 확인하지 못해 저장하지 않았습니다. 잠시 후 다시 저장해 주세요"
                    .to_owned(),
            )),
        }
    }
}

fn not_found() -> StoreError {
    StoreError::NotFound("가게를 찾을 수 없습니다".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_is_trimmed_and_empty_fields_are_none() {
        let p = Profile::new("  ", " 02-555-0110 ", " 소개 ", "평일 8~21시\n");
        assert_eq!(p.address, None);
        assert_eq!(p.phone.as_deref(), Some("02-555-0110"));
        assert_eq!(p.description, "소개");
        assert_eq!(p.opening_hours, "평일 8~21시");
        p.validate().unwrap();
    }

    #[test]
    fn bad_fields_are_refused_with_what_was_wrong() {
        let refused = |p: Profile| p.validate().unwrap_err().to_string();
        assert!(refused(Profile::new("", "call me", "", "")).contains("전화번호"));
        assert!(refused(Profile::new("", "12", "", "")).contains("전화번호"));
        assert!(refused(Profile::new("", "", "", &"가".repeat(201))).contains("영업시간"));
        assert!(refused(Profile::new("강남대로\u{7}396", "", "", "")).contains("주소"));
        Profile::new("", "", "둘째 줄\n셋째 줄", "평일\n주말")
            .validate()
            .unwrap();
    }
}
