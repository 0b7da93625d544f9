//! Event sets (API.md §3): a snapshot of the history matching an interval and filters, polled until
//! finished and read page by page with opaque cursors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::errors::{error, not_found, validation_error};
use super::helpers::{int_param, param, parse_time, timestamp, wrapped};
use super::{Query, State};

/// API.md §3.1: an event set's interval defaults to, and cannot be wider than, 90 days.
const MAX_INTERVAL_DAYS: i64 = 90;
/// GET /event_sets/{id} `limit` default; also the size of the first page when POST answers `finished` (NS).
const EVENT_SET_PAGE: i64 = 50;

/// The `event_*` filters of an event set (API.md §3.1), echoed in every EventSet object.
const EVENT_SET_FILTERS: &str = "event_actor_id event_actor_type event_authenticated_by_id \
    event_authenticated_by_type event_object_id event_object_type event_place_id event_success event_sequence \
    event_type event_uuid";

pub(super) struct EventSet {
    id: i64,
    created_at: DateTime<Utc>,
    /// GET polls still to answer `in_progress`.
    polls_left: usize,
    /// `interval`, the `event_*` filters and `place_id`, as echoed in every answer.
    echo: Map<String, Value>,
    /// The matching events, snapshotted and sorted when the set was created.
    events: Vec<Value>,
}

/// `Start/End` only; the `Start/Duration` and `Duration/End` forms of API.md §3.1 are not supported by the fake
/// and get the same 422 as a malformed interval. The interval is [start, end).
fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), &'static str> {
    let (start, end) = text.split_once('/').ok_or("is invalid")?;
    let (start, end) = (parse_time(start).ok_or("is invalid")?, parse_time(end).ok_or("is invalid")?);
    if start >= end {
        return Err("must end after it starts");
    }
    if end - start > chrono::Duration::days(MAX_INTERVAL_DAYS) {
        return Err("cannot be wider than 90 days");
    }
    Ok((start, end))
}

/// Whether `event` passes the set's filters: string filters are `,`-separated lists of accepted values;
/// numbers and booleans must be equal; `place_id` scopes the set to a place.
fn matches_filters(event: &Value, echo: &Map<String, Value>) -> bool {
    let filters_pass = EVENT_SET_FILTERS.split_whitespace().all(|filter| {
        let have = &event[&filter["event_".len()..]];
        match &echo[filter] {
            Value::Null => true,
            Value::String(list) => {
                let have = have.as_str().map_or_else(|| have.to_string(), str::to_string);
                list.split(',').any(|wanted| wanted.trim() == have)
            }
            wanted => wanted == have,
        }
    });
    filters_pass && (echo["place_id"].is_null() || echo["place_id"] == event["place_id"])
}

pub(super) fn create_event_set(state: &mut State, body: &[u8]) -> Response {
    let Some(fields) = wrapped(body, "event_set") else {
        return validation_error("event_set", "is missing");
    };
    let (start, end, interval) = match fields.get("interval") {
        None | Some(Value::Null) => {
            // The past 90 days, ending at the next whole second so that events from "now" are in.
            let end = DateTime::from_timestamp(Utc::now().timestamp() + 1, 0).unwrap();
            let start = end - chrono::Duration::days(MAX_INTERVAL_DAYS);
            (start, end, format!("{}/{}", timestamp(start), timestamp(end)))
        }
        Some(Value::String(text)) => match parse_interval(text) {
            Ok((start, end)) => (start, end, text.clone()),
            Err(message) => return validation_error("interval", message),
        },
        Some(_) => return validation_error("interval", "is invalid"),
    };
    let place_id = fields.get("place_id").cloned().unwrap_or(Value::Null);
    if !place_id.is_null() && !fields.get("event_place_id").unwrap_or(&Value::Null).is_null() {
        return validation_error("place_id", "cannot be set together with event_place_id");
    }
    let mut echo = Map::new();
    echo.insert("interval".into(), Value::String(interval));
    for filter in EVENT_SET_FILTERS.split_whitespace() {
        echo.insert(filter.into(), fields.get(filter).cloned().unwrap_or(Value::Null));
    }
    echo.insert("place_id".into(), place_id);

    let mut events: Vec<(DateTime<Utc>, &Value)> = state
        .events
        .iter()
        .filter_map(|e| Some((parse_time(e["created_at"].as_str()?)?, e)))
        .filter(|(at, e)| start <= *at && *at < end && matches_filters(e, &echo))
        .collect();
    // By created_at (newest first unless switched), then uuid ascending for equal times.
    let newest_first = state.newest_first;
    events.sort_by(|(a, x), (b, y)| {
        let by_time = if newest_first { b.cmp(a) } else { a.cmp(b) };
        by_time.then_with(|| x["uuid"].as_str().cmp(&y["uuid"].as_str()))
    });
    let set = EventSet {
        id: state.next_event_set_id,
        created_at: Utc::now(),
        polls_left: state.polls_before_finished,
        echo,
        events: events.into_iter().map(|(_, e)| e.clone()).collect(),
    };
    state.next_event_set_id += 1;
    let answer = event_set_object(&set, (set.polls_left == 0).then_some(0), EVENT_SET_PAGE as usize);
    state.event_sets.push(set);
    (StatusCode::OK, Json(answer)).into_response() // 200, not 201 (API.md §3.1)
}

pub(super) fn fetch_event_set(state: &mut State, id: &str, query: &Query) -> Response {
    // The maximum limit is NS (API.md §3.2); the fake takes the lists' 250 and answers 400 above it.
    let Some(limit) = int_param(query, "limit", EVENT_SET_PAGE, 1..=250) else {
        return error(StatusCode::BAD_REQUEST, "limit must be between 1 and 250");
    };
    let Some(set) = id.parse::<i64>().ok().and_then(|id| state.event_sets.iter_mut().find(|s| s.id == id)) else {
        return not_found();
    };
    if set.polls_left > 0 {
        set.polls_left -= 1;
        return Json(event_set_object(set, None, 0)).into_response();
    }
    let offset = match param(query, "cursor").map(|cursor| decode_cursor(cursor, set)) {
        None => 0,
        Some(Some(offset)) => offset,
        Some(None) => return error(StatusCode::BAD_REQUEST, "The cursor is invalid."),
    };
    Json(event_set_object(set, Some(offset), limit as usize)).into_response()
}

/// The EventSet object: `in_progress` without `events` when `page` is None, else `finished` with the events
/// from offset `page` on and the cursor of the next page (null on the last one).
fn event_set_object(set: &EventSet, page: Option<usize>, limit: usize) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), json!(set.id));
    object.insert("created_at".into(), json!(timestamp(set.created_at)));
    object.insert("status".into(), json!(if page.is_some() { "finished" } else { "in_progress" }));
    object.extend(set.echo.clone());
    let mut cursor = Value::Null;
    if let Some(offset) = page {
        let events: Vec<Value> = set.events.iter().skip(offset).take(limit).cloned().collect();
        if offset + limit < set.events.len() {
            cursor = Value::String(encode_cursor(set.id, offset + limit));
        }
        object.insert("events".into(), Value::Array(events));
    }
    object.insert("cursor".into(), cursor);
    Value::Object(object)
}

/// Opaque to clients: URL-safe base64 (no padding, so nothing to escape) of `{"set":id,"offset":n}`.
fn encode_cursor(set: i64, offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(json!({"set": set, "offset": offset}).to_string())
}

/// The offset in a cursor made for this set; None for anything else (a garbled cursor, another set's).
fn decode_cursor(cursor: &str, set: &EventSet) -> Option<usize> {
    let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?).ok()?;
    let offset = value["offset"].as_u64()? as usize;
    (value["set"].as_i64()? == set.id && offset <= set.events.len()).then_some(offset)
}
