//! What the end-to-end tests send the app: Kisi's unlock events, delivered to its receiver signed the
//! way Kisi signs them.

use super::{delivery, Desktop, KEY};

/// [`unlock_at`] the main entrance.
pub fn unlock(uuid: &str, person: &str, success: bool) -> String {
    unlock_at(uuid, person, success, "Main Entrance")
}

/// Kisi's webhook body for an unlock by `person` at `door`, now: refused ("Access denied.") unless
/// `success`.
pub fn unlock_at(uuid: &str, person: &str, success: bool, door: &str) -> String {
    serde_json::json!({
        "uuid": uuid, "type": "lock.unlock", "actor_type": "User", "actor_name": person,
        "object_type": "Lock", "object_name": door, "success": success,
        "error_code": if success { None } else { Some("fcd8ef") },
        "error_message": if success { None } else { Some("Access denied.") },
        "created_at": chrono_now(),
    })
    .to_string()
}

/// Now, as Kisi writes a time.
pub fn chrono_now() -> String {
    doorwatch::event::format_time(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64,
    )
}

impl Desktop {
    /// Delivers `body` to the app's receiver as Kisi would, signed with [`KEY`] (the key the app is
    /// given): the status and the body of its answer.
    pub async fn deliver(&self, body: &str) -> (u16, String) {
        self.deliver_signed(body, KEY).await
    }

    /// [`Desktop::deliver`] signed with another key.
    pub async fn deliver_signed(&self, body: &str, key: &str) -> (u16, String) {
        delivery::deliver(&reqwest::Client::new(), &self.webhook(), body.as_bytes(), Some(key)).await
    }
}
