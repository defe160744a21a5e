//! Finding stores: by name, nearby (open stores in the GEO set) from coordinates or from a
//! place name, and recently ordered from. Every hit carries the store's live business-day state.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::input::STORE_SEARCH_MAX_CHARS;
use domain::{CustomerId, StoreId};
use redis::aio::ConnectionManager;
use sqlx::PgPool;
use uuid::Uuid;

use crate::day::Days;
use crate::error::StoreError;
use crate::places::{Lookup, Places};
use crate::storage::StoreKeys;
use crate::storage::day::{DayRow, in_nearby_search};
use crate::storage::stores::{self, StoreRow};

const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 50;
const DEFAULT_RADIUS_M: u32 = 2_000;
const MAX_RADIUS_M: u32 = 20_000;

/// A store with its live day (none when closed) and what the search knows about it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub store: StoreRow,
    pub live: Option<DayRow>,
    pub distance_m: Option<f64>,
    pub last_ordered_at: Option<DateTime<Utc>>,
}

pub struct Search {
    pub pool: PgPool,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
    pub days: Arc<Days>,
    pub places: Arc<Places>,
}

fn limit(requested: u32) -> i64 {
    i64::from(match requested {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    })
}

impl Search {
    pub async fn store(&self, store_id: StoreId) -> Result<Hit, StoreError> {
        let store = stores::store(&self.pool, store_id)
            .await?
            .ok_or_else(|| StoreError::NotFound("가게를 찾을 수 없습니다".to_owned()))?;
        let live = self.days.live_day(store_id.as_uuid()).await?;
        Ok(Hit {
            store,
            live,
            distance_m: None,
            last_ordered_at: None,
        })
    }

    pub async fn by_name(&self, name: &str, requested: u32) -> Result<Vec<Hit>, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > STORE_SEARCH_MAX_CHARS {
            return Err(StoreError::Invalid(format!(
                "가게 이름을 1~{STORE_SEARCH_MAX_CHARS}자로 입력해 주세요"
            )));
        }
        let rows = stores::search_by_name(&self.pool, name, limit(requested)).await?;
        self.with_live(rows.into_iter().map(|r| (r, None, None)).collect())
            .await
    }

    pub async fn nearby(
        &self,
        lat: f64,
        lng: f64,
        radius_m: u32,
        requested: u32,
    ) -> Result<Vec<Hit>, StoreError> {
        // GEO sets cover ±85.05° latitude (Web Mercator), enough for any store.
        if !((-85.0..=85.0).contains(&lat) && (-180.0..=180.0).contains(&lng)) {
            return Err(StoreError::Invalid(
                "위치는 위도 -85~85, 경도 -180~180 범위여야 합니다".to_owned(),
            ));
        }
        let radius = match radius_m {
            0 => DEFAULT_RADIUS_M,
            r => r.min(MAX_RADIUS_M),
        };
        let limit = usize::try_from(limit(requested)).unwrap_or(DEFAULT_LIMIT as usize);
        let hits =
            stores::geo_search(&self.redis, &self.keys, lat, lng, f64::from(radius), limit).await?;
        let ids: Vec<StoreId> = hits.iter().map(|(id, _)| *id).collect();
        let mut rows: HashMap<StoreId, StoreRow> = stores::stores(&self.pool, &ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let ordered = hits
            .into_iter()
            .filter_map(|(id, dist)| Some((rows.remove(&id)?, Some(dist), None)))
            .collect();
        let found = self.with_live(ordered).await?;
        // The GEO set may briefly lag a transition; the live state decides.
        Ok(found
            .into_iter()
            .filter(|h| h.live.as_ref().is_some_and(|d| in_nearby_search(d.state)))
            .collect())
    }

    /// Open stores near a place named in words ("강남역"). Only the GEO search can fail: a place
    /// Kakao Local does not know or cannot find now is an answer, not an error.
    pub async fn near_place(
        &self,
        place: &str,
        radius_m: u32,
        requested: u32,
    ) -> Result<(Lookup, Vec<Hit>), StoreError> {
        if place.trim().is_empty() {
            return Err(StoreError::Invalid("장소를 입력해 주세요".to_owned()));
        }
        let lookup = self.places.resolve(place).await;
        let hits = match &lookup {
            Lookup::Found(at) => self.nearby(at.lat, at.lng, radius_m, requested).await?,
            Lookup::NotFound | Lookup::Unavailable => Vec::new(),
        };
        Ok((lookup, hits))
    }

    pub async fn recent(&self, customer_id: &str, requested: u32) -> Result<Vec<Hit>, StoreError> {
        let customer_id: CustomerId = customer_id
            .parse()
            .map_err(|_| StoreError::Invalid("손님 id가 올바르지 않습니다".to_owned()))?;
        let rows = stores::recent_for_customer(&self.pool, customer_id, limit(requested)).await?;
        self.with_live(
            rows.into_iter()
                .map(|(r, at)| (r, None, Some(at)))
                .collect(),
        )
        .await
    }

    async fn with_live(
        &self,
        rows: Vec<(StoreRow, Option<f64>, Option<DateTime<Utc>>)>,
    ) -> Result<Vec<Hit>, StoreError> {
        let ids: Vec<Uuid> = rows.iter().map(|(r, _, _)| r.id.as_uuid()).collect();
        let mut live = self.days.live_days(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|(store, distance_m, last_ordered_at)| Hit {
                live: live.remove(&store.id.as_uuid()),
                store,
                distance_m,
                last_ordered_at,
            })
            .collect())
    }
}
