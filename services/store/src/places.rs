//! Place names and addresses to coordinates through Kakao Local, with place names cached in
//! Redis: customers ask for the same few stations and districts all day, and every answer saved
//! is one Kakao call (and its latency) less inside a 5-second chatbot webhook.

use std::time::Duration;

use domain::input::PLACE_NAME_MAX_CHARS;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};

use crate::local::{LocalApi, LocalError};
use crate::storage::StoreKeys;

/// How long "no such place" is remembered: short, since Kakao learns new places.
const NOT_FOUND_TTL: Duration = Duration::from_secs(10 * 60);

/// A place or address as Kakao Local located it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Located {
    /// The place's name ("강남역 2호선"), or the address found for an address search.
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
}

/// What a place name led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Located),
    NotFound,
    /// Kakao Local failed, refused the key or was too slow; asking again later may work.
    Unavailable,
}

/// The cached answer for one place name.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    found: Option<Located>,
}

pub struct Places {
    pub api: LocalApi,
    pub redis: ConnectionManager,
    pub keys: StoreKeys,
    /// How long a found place is remembered (`STORE_PLACE_CACHE_TTL`).
    pub cache_ttl: Duration,
}

/// The cache's spelling of a place name: trimmed, one space between words, lower case.
pub fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn log_failure(what: &str, error: &LocalError) {
    match error {
        // Every lookup fails until an operator fixes the key: loud.
        LocalError::Refused { .. } => tracing::error!(error = %error, "{what}"),
        LocalError::Timeout(_) | LocalError::Failed(_) => tracing::warn!(error = %error, "{what}"),
    }
}

impl Places {
    /// The place a customer named ("강남역"), from the cache or Kakao Local's keyword search.
    pub async fn resolve(&self, name: &str) -> Lookup {
        let name = normalize(name);
        if name.is_empty() || name.chars().count() > PLACE_NAME_MAX_CHARS {
            return Lookup::NotFound;
        }
        let key = self.keys.place(&name);
        if let Some(cached) = self.cached(&key).await {
            return cached.found.map_or(Lookup::NotFound, Lookup::Found);
        }
        let found = match self.api.place(&name).await {
            Ok(found) => found.and_then(|p| {
                let (lat, lng) = p.lat_lng()?;
                let address = if p.road_address_name.is_empty() {
                    p.address_name
                } else {
                    p.road_address_name
                };
                Some(Located {
                    name: p.place_name,
                    address,
                    lat,
                    lng,
                })
            }),
            Err(e) => {
                log_failure("place name not resolved", &e);
                return Lookup::Unavailable;
            }
        };
        let ttl = if found.is_some() {
            self.cache_ttl
        } else {
            NOT_FOUND_TTL
        };
        let cached = Cached { found };
        self.remember(&key, &cached, ttl).await;
        cached.found.map_or(Lookup::NotFound, Lookup::Found)
    }

    /// Where an address is, by Kakao Local's address search; `None` when Kakao knows no such
    /// address. Not cached: a store saves its address rarely, and must see Kakao's current view.
    pub async fn locate_address(&self, address: &str) -> Result<Option<Located>, LocalError> {
        let found = self.api.address(address).await.inspect_err(|e| {
            log_failure("address not located", e);
        })?;
        Ok(found.and_then(|d| {
            let (lat, lng) = d.lat_lng()?;
            let name = d.display_name().to_owned();
            Some(Located {
                address: name.clone(),
                name,
                lat,
                lng,
            })
        }))
    }

    // A cache that cannot be read or written only costs a Kakao call.
    async fn cached(&self, key: &str) -> Option<Cached> {
        let mut conn = self.redis.clone();
        match conn.get::<_, Option<String>>(key).await {
            Ok(value) => value.and_then(|v| serde_json::from_str(&v).ok()),
            Err(e) => {
                tracing::warn!(error = %e, "place cache unreadable; asking Kakao Local");
                None
            }
        }
    }

    async fn remember(&self, key: &str, cached: &Cached, ttl: Duration) {
        let Ok(value) = serde_json::to_string(cached) else {
            return;
        };
        let mut conn = self.redis.clone();
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        if let Err(e) = conn.pset_ex::<_, _, ()>(key, value, ms).await {
            tracing::warn!(error = %e, "place not cached");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_names_normalize_for_the_cache() {
        assert_eq!(normalize("  강남역  "), "강남역");
        assert_eq!(normalize("Seoul   Station"), "seoul station");
        assert_eq!(normalize("서울 \t 강남구"), "서울 강남구");
    }
}
