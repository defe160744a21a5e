//! How many live board sockets a session and a store hold open (`LIVE_MAX_SOCKETS_PER_*`):
//! a socket is admitted only while both are under their caps, and its slot is given back when
//! the socket ends. Counted per gateway replica.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Slots {
    per_session: usize,
    per_store: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One admitted socket's places; dropping it frees them.
pub struct Slot {
    keys: [String; 2],
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl Slots {
    pub fn new(per_session: usize, per_store: usize) -> Slots {
        Slots {
            per_session,
            per_store,
            open: Arc::default(),
        }
    }

    /// A place for one more socket of `session_id` at `store_id`, or `None` when either is full.
    pub fn admit(&self, session_id: &str, store_id: &str) -> Option<Slot> {
        let keys = [format!("session:{session_id}"), format!("store:{store_id}")];
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let full = keys
            .iter()
            .zip([self.per_session, self.per_store])
            .any(|(key, cap)| open.get(key).copied().unwrap_or(0) >= cap);
        if full {
            return None;
        }
        for key in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Some(Slot {
            keys,
            open: self.open.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_stores_get_their_caps_and_slots_come_back() {
        let slots = Slots::new(2, 3);
        let a1 = slots.admit("a", "s").unwrap();
        let _a2 = slots.admit("a", "s").unwrap();
        assert!(slots.admit("a", "s").is_none(), "session a is full");
        let _b1 = slots.admit("b", "s").unwrap();
        assert!(slots.admit("c", "s").is_none(), "store s is full");
        assert!(slots.admit("c", "t").is_some(), "another store is not");
        drop(a1);
        assert!(
            slots.admit("a", "s").is_some(),
            "a closed socket frees its places"
        );
    }
}
