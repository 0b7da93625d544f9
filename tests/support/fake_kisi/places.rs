//! `GET /places` (API.md §8): the organization's places, paged, with the Place fields Kisi requires.

use axum::response::Response;
use serde_json::{json, Value};

use super::helpers::page;
use super::{Query, State, ORGANIZATION_ID};

/// A Place object as §8 lists its required fields.
pub(super) fn place(id: i64, name: &str, time_zone: Option<&str>, locks_count: i64) -> Value {
    json!({
        "id": id, "resource_type": "Place", "name": name, "description": null,
        "created_at": "2023-01-10T11:00:00Z", "updated_at": "2024-02-01T10:00:00Z",
        "latitude": null, "longitude": null, "address": "", "image": null,
        "time_zone": time_zone, "tz_time_zone": time_zone, "locks_count": locks_count, "integrations_count": 1,
        "locked_down": false, "locked_down_since": null, "occupancy_rate": null,
        "organization_id": ORGANIZATION_ID,
        "organization": {"id": ORGANIZATION_ID, "resource_type": "Organization", "name": "Acme Inc", "domain": "acme"},
        "color": null, "logo": null, "user_id": null, "members_count": 0,
    })
}

pub(super) fn list_places(state: &State, query: &Query) -> Response {
    page(query, 50, state.places.clone())
}
