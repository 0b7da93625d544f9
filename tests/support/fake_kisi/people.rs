//! Access links and users (API.md §14, §15): `GET /group_links` (paged, filtered by `ids=` — there is no
//! `GET /group_links/{id}`) and `GET /users/{id}`, with the fields of the reference's examples.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::errors::not_found;
use super::helpers::{page, param};
use super::{Query, State};

/// A GroupLink object (§14) with every required key.
pub(super) fn group_link(id: i64, name: &str, created_by: Option<(i64, &str)>, valid_until: Option<&str>) -> Value {
    json!({
        "id": id, "resource_type": "GroupLink", "name": name, "email": null, "phone": null, "last_used_at": null,
        "link_enabled": true, "quick_response_code_type": null, "valid_from": null, "valid_until": valid_until,
        "created_at": "2024-05-13T16:00:00Z", "updated_at": "2024-05-13T16:00:00Z", "group_id": 210,
        "group": {"id": 210, "resource_type": "Group", "name": "Visitors"},
        "created_by_type": created_by.map(|_| "User"), "created_by_id": created_by.map(|c| c.0),
        "created_by": created_by.map(|(id, name)| json!({
            "id": id, "resource_type": "User", "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")), "name": name,
        })),
    })
}

/// A User object (§15) with every required key.
pub(super) fn user(id: i64, name: &str, access_enabled: bool) -> Value {
    json!({
        "id": id, "resource_type": "User", "name": name,
        "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        "created_at": "2023-01-10T12:00:00Z", "updated_at": "2024-05-14T09:12:03Z", "metadata": {}, "image": null,
        "otp_required_for_login": false, "password_flow_enabled": true, "access_enabled": access_enabled,
        "last_accessed_at": "2024-05-14T09:12:03Z", "scim_access_enabled": true, "notes": null,
        "organization_id": super::ORGANIZATION_ID, "confirmed": true, "groups_count": 2,
    })
}

pub(super) fn list_group_links(state: &State, query: &Query) -> Response {
    let ids: Option<Vec<i64>> =
        param(query, "ids").map(|ids| ids.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    let matching: Vec<&Value> = state
        .group_links
        .iter()
        .filter(|l| ids.as_ref().is_none_or(|ids| l["id"].as_i64().is_some_and(|id| ids.contains(&id))))
        .collect();
    page(query, 10, matching.into_iter().cloned().collect())
}

pub(super) fn one_user(state: &State, id: &str) -> Response {
    match state.users.iter().find(|u| u["id"].as_i64().map(|i| i.to_string()).as_deref() == Some(id)) {
        Some(user) => Json(user.clone()).into_response(),
        None => not_found(),
    }
}
