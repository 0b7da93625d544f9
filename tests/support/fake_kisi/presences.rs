//! `GET /presences` (API.md §13): who was present at a place on a date, derived from the fake's event
//! history the way the reference's choices say — each person (users and access links) with a
//! successful unlock at the place that day, in the place's zone (UTC when it has none); `on_site` within
//! the inactivity timeout of their last unlock, `inactive` after it, `expired` for past dates.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use super::errors::{error, not_found};
use super::helpers::{page, param, parse_time, timestamp};
use super::{Query, State};

/// How long after the last unlock a person still counts as on site (NS; the fake's choice).
const INACTIVITY_HOURS: i64 = 8;

/// One person's day so far: their first and last unlock, and the events they came from.
struct Seen {
    actor_type: String,
    name: String,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    first_event: Value,
    last_door: Value,
}

pub(super) fn list_presences(state: &State, query: &Query) -> Response {
    let Some(place_id) = param(query, "place_id").and_then(|p| p.parse::<i64>().ok()) else {
        return error(StatusCode::BAD_REQUEST, "place_id is missing or not a number");
    };
    let Some(place) = state.places.iter().find(|p| p["id"].as_i64() == Some(place_id)) else {
        return not_found();
    };
    let zone = doorwatch::alert::zone::Zone::from_name(Some(place["time_zone"].as_str().unwrap_or("UTC")));
    let date = param(query, "date").and_then(|d| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d").ok().or_else(|| parse_time(d).map(|t| zone.local(t).date_naive()))
    });
    let Some(date) = date else { return error(StatusCode::BAD_REQUEST, "date is missing or not a date") };
    let day_start = DateTime::<Utc>::from_timestamp_millis(zone.to_utc(date.and_hms_opt(0, 0, 0).unwrap())).unwrap();
    let day_end = day_start + chrono::Duration::days(1);
    let mut people: Vec<Seen> = Vec::new();
    for e in &state.events {
        let at = e["created_at"].as_str().and_then(parse_time);
        let person = e["actor_type"].as_str().filter(|t| matches!(*t, "User" | "GroupLink"));
        let (Some(at), Some(actor_type), Some(name)) = (at, person, e["actor_name"].as_str()) else { continue };
        if e["type"] != "lock.unlock" || e["success"] != true || e["place_id"].as_i64() != Some(place_id) {
            continue;
        }
        if at < day_start || at >= day_end {
            continue;
        }
        match people.iter_mut().find(|p| p.actor_type == actor_type && p.name == name) {
            Some(p) => {
                p.first = p.first.min(at);
                if at >= p.last {
                    p.last = at;
                    p.last_door = e.clone();
                }
            }
            None => people.push(Seen {
                actor_type: actor_type.to_owned(),
                name: name.to_owned(),
                first: at,
                last: at,
                first_event: e.clone(),
                last_door: e.clone(),
            }),
        }
    }
    people.sort_by_key(|p| p.first);
    let now = Utc::now();
    let all: Vec<Value> = people
        .iter()
        .map(|p| {
            let status = if day_end <= now {
                "expired"
            } else if now - p.last < chrono::Duration::hours(INACTIVITY_HOURS) {
                "on_site"
            } else {
                "inactive"
            };
            json!({
                "actor_type": p.actor_type, "actor_id": p.first_event["actor_id"], "actor_name": p.name,
                "actor_email": p.first_event["actor_email"],
                "last_unlocked_lock_name": p.last_door["object_name"], "last_unlocked_lock_id": p.last_door["object_id"],
                "first_unlock_at": timestamp(p.first), "last_unlock_at": timestamp(p.last),
                "status": status, "place_id": place_id,
            })
        })
        .collect();
    page(query, 10, all)
}
