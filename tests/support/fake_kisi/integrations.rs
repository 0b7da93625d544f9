//! Event webhook integrations (API.md §5): list, create, get, update and delete, with their validation.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::errors::{not_found, push_error, validation_error, validation_errors};
use super::helpers::{page, param, timestamp, wrapped};
use super::{FakeIntegration, Query, State, ORGANIZATION_ID};

/// Event types accepted in `enabled_events`: the families of `event-types.txt` a door monitor can care about
/// (lock, reader, controller*, wireless_lock*, place*, integration, login), copied verbatim.
pub(super) const EVENT_TYPES: &str = "controller.assign controller.deassign controller.reboot controller.tamper \
    controller.update controller.wiegand_board_connect controller.wiegand_board_disconnect controller_input.closed \
    controller_input.opened controller_input.tamper controller_input.triggered controller_input_connection.create \
    controller_input_connection.destroy controller_input_connection.update controller_relay_connection.create \
    controller_relay_connection.destroy controller_relay_connection.update controller_wiegand_connection.create \
    controller_wiegand_connection.destroy controller_wiegand_connection.excessive_pin_attempts \
    controller_wiegand_connection.update integration.create integration.destroy integration.disable_due_to_error \
    integration.update integration.warn_due_to_error lock.cancel_lockdown lock.closed lock.create lock.destroy \
    lock.first_to_arrive lock.forced_open lock.held_open lock.last_to_leave lock.lock_down lock.locked lock.opened \
    lock.scheduled_unlock_ended lock.scheduled_unlock_started lock.tailgate lock.unlock lock.update login.create \
    login.destroy login.promote login.resolve place.cancel_lockdown place.create place.destroy place.lock_down \
    place.occupancy_rate_limit_reach place.update place_card.create place_card.destroy reader.access reader.assign \
    reader.deassign reader.reboot reader.reset_tamper reader.tamper reader.update wireless_lock.battery_warning \
    wireless_lock.closed wireless_lock.disenroll wireless_lock.locked wireless_lock.opened wireless_lock.tampered \
    wireless_lock.unlocked wireless_lock.update wireless_lock_connection.create wireless_lock_connection.destroy \
    wireless_lock_connection.update";

pub(super) fn new_integration(id: i64) -> FakeIntegration {
    let now = Utc::now();
    FakeIntegration {
        id,
        name: String::new(),
        url: String::new(),
        enabled: true, // the default is NS; API.md §5.3 suggests true
        disabled_due_to_error: false,
        enabled_events: Vec::new(),
        signature_key: None,
        disabled_due_to_error_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The list-item shape (GET /integrations): no url, no enabled_events; no `place`, as place_id is null.
fn summary(i: &FakeIntegration) -> Value {
    json!({
        "id": i.id,
        "resource_type": "Integration",
        "name": i.name,
        "type": "event_webhook",
        "enabled": i.enabled,
        "disabled_due_to_error": i.disabled_due_to_error,
        "disabled_due_to_error_at": i.disabled_due_to_error_at.map(timestamp),
        "created_at": timestamp(i.created_at),
        "updated_at": timestamp(i.updated_at),
        "organization_id": ORGANIZATION_ID,
        "organization": {"id": ORGANIZATION_ID, "resource_type": "Organization", "name": "Acme Inc", "domain": "acme"},
        "place_id": null,
    })
}

/// The Event Webhook Integration object (POST, GET /{id}); never the write-only signature_key.
fn integration_object(i: &FakeIntegration) -> Value {
    let mut object = summary(i);
    object["url"] = json!(i.url);
    object["enabled_events"] = json!(i.enabled_events);
    object
}

pub(super) fn list_integrations(state: &State, query: &Query) -> Response {
    // Of the filters, `ids` (comma-separated) and `enabled`; the others concern places, groups and names.
    let ids = param(query, "ids").map(|s| s.split(',').map(|id| id.trim().to_string()).collect::<Vec<_>>());
    let enabled = param(query, "enabled").map(|s| s == "true");
    let matching: Vec<&FakeIntegration> = state
        .integrations
        .iter()
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id.to_string())))
        .filter(|i| enabled.is_none_or(|enabled| i.enabled == enabled))
        .collect();
    page(query, 10, matching.iter().map(|i| summary(i)).collect())
}

/// Checks the fields of an `integration` body and writes the valid ones into `target`; returns the problems
/// (empty when all is well). All fields are optional here; `create_integration` checks the required ones.
fn apply_integration_fields(fields: &Map<String, Value>, target: &mut FakeIntegration) -> Map<String, Value> {
    let mut errors = Map::new();
    match fields.get("name").map(|v| v.as_str().unwrap_or("")) {
        Some(name) if name.trim().is_empty() => push_error(&mut errors, "name", "can't be blank"),
        Some(name) => target.name = name.to_string(),
        None => {}
    }
    if let Some(url) = fields.get("url").map(|v| v.as_str().unwrap_or("")) {
        let parsed = reqwest::Url::parse(url);
        if (url.starts_with("http://") || url.starts_with("https://")) && parsed.is_ok_and(|u| u.has_host()) {
            target.url = url.to_string();
        } else {
            push_error(&mut errors, "url", "is invalid");
        }
    }
    match fields.get("enabled").map(Value::as_bool) {
        Some(Some(enabled)) => target.enabled = enabled,
        Some(None) => push_error(&mut errors, "enabled", "is invalid"),
        None => {}
    }
    match fields.get("enabled_events").map(Value::as_array) {
        Some(Some(list)) => {
            target.enabled_events.clear();
            for item in list {
                match item.as_str().filter(|t| EVENT_TYPES.split_whitespace().any(|known| known == *t)) {
                    Some(t) => target.enabled_events.push(t.to_string()),
                    None => push_error(&mut errors, "enabled_events", format!("{item} is not included in the list")),
                }
            }
        }
        Some(None) => push_error(&mut errors, "enabled_events", "is invalid"),
        None => {}
    }
    match fields.get("signature_key") {
        None => {}
        // Clearing with null or "" is an assumption (NS): no key means unsigned deliveries.
        Some(Value::Null) => target.signature_key = None,
        Some(Value::String(key)) => target.signature_key = (!key.is_empty()).then(|| key.clone()),
        Some(_) => push_error(&mut errors, "signature_key", "is invalid"),
    }
    errors
}

pub(super) fn create_integration(state: &mut State, body: &[u8]) -> Response {
    let Some(fields) = wrapped(body, "integration") else {
        return validation_error("integration", "is missing");
    };
    let mut integration = new_integration(state.next_integration_id);
    let mut errors = apply_integration_fields(&fields, &mut integration);
    match fields.get("type").and_then(Value::as_str) {
        Some("event_webhook") => {}
        None => push_error(&mut errors, "type", "can't be blank"),
        // Other integration types exist (API.md §5) but the fake only knows event webhooks.
        Some(_) => push_error(&mut errors, "type", "is not included in the list"),
    }
    for required in ["name", "url"] {
        if !fields.contains_key(required) {
            push_error(&mut errors, required, "can't be blank");
        }
    }
    if !errors.is_empty() {
        return validation_errors(errors);
    }
    state.next_integration_id += 1;
    let object = integration_object(&integration);
    state.integrations.push(integration);
    (StatusCode::OK, Json(object)).into_response() // 200, not 201 (API.md §5.3)
}

pub(super) fn one_integration(state: &mut State, method: &Method, id: &str, body: &[u8]) -> Response {
    let Some(index) = id.parse::<i64>().ok().and_then(|id| state.integrations.iter().position(|i| i.id == id)) else {
        return not_found();
    };
    match method.as_str() {
        "GET" => Json(integration_object(&state.integrations[index])).into_response(),
        "DELETE" => {
            state.integrations.remove(index);
            StatusCode::NO_CONTENT.into_response()
        }
        "PATCH" => {
            let Some(fields) = wrapped(body, "integration") else {
                return validation_error("integration", "is missing");
            };
            let mut updated = state.integrations[index].clone();
            let errors = apply_integration_fields(&fields, &mut updated);
            if !errors.is_empty() {
                return validation_errors(errors);
            }
            // Whether re-enabling clears the auto-disable flag is NS (API.md §5.1); here it does.
            if fields.get("enabled") == Some(&Value::Bool(true)) {
                updated.disabled_due_to_error = false;
                updated.disabled_due_to_error_at = None;
            }
            updated.updated_at = Utc::now();
            state.integrations[index] = updated;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => not_found(),
    }
}
