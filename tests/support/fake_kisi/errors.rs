//! Error bodies (API.md §1): `Error` for most failures, `Errors` with 422 for invalid fields.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// `Error.code` for generic errors is NS (API.md §9.7); `ffffff` is the table's "An unexpected issue occured.".
const GENERIC_CODE: &str = "ffffff";

/// `Error` = {"error": message, "code": 6 hex digits}.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message, "code": GENERIC_CODE}))).into_response()
}

pub(super) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not found")
}

pub(super) fn push_error(errors: &mut Map<String, Value>, field: &str, message: impl Into<String>) {
    let list = errors.entry(field).or_insert_with(|| json!([]));
    list.as_array_mut().unwrap().push(Value::String(message.into()));
}

/// `Errors` = {"errors": {field: [message, ...]}}, always with 422.
pub(super) fn validation_errors(errors: Map<String, Value>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "errors": errors }))).into_response()
}

pub(super) fn validation_error(field: &str, message: &str) -> Response {
    let mut errors = Map::new();
    push_error(&mut errors, field, message);
    validation_errors(errors)
}
