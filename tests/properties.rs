//! Properties over generated inputs (proptest): a valid signature verifies and any flipped byte fails;
//! any JSON object is stored and its raw bytes come back identical.

mod support;

use doorwatch::receive::ingest::{router, IngestConfig};
use doorwatch::receive::signature::{parse_header, SigningKey};
use proptest::prelude::*;
use serde_json::{Map, Value};
use support::*;
use tower::ServiceExt;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_valid_signature_verifies_and_any_flipped_byte_fails(
        key in "[ -~]{1,64}",
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        flip_at in any::<prop::sample::Index>(),
        flip_bit in 0u8..8,
        in_signature in any::<bool>(),
    ) {
        prop_assume!(!key.trim().is_empty());
        let key = SigningKey::new(&key).unwrap();
        let header = key.sign(&body);
        prop_assert!(key.verify(&body, Some(header.as_bytes())).is_ok());
        if in_signature {
            // Flip a bit of the hex digest (after "sha256="), keeping it a readable header or not.
            let mut bad = header.clone().into_bytes();
            let i = "sha256=".len() + flip_at.index(bad.len() - "sha256=".len());
            bad[i] ^= 1 << flip_bit;
            // Upper- and lower-case hex are the same digest (Kisi's encoding is unspecified): a flip
            // that only changes a letter's case is not a different signature.
            let same_digest = matches!(
                (parse_header(&bad), parse_header(header.as_bytes())),
                (Ok(a), Ok(b)) if a == b
            );
            prop_assume!(!same_digest);
            prop_assert!(key.verify(&body, Some(&bad)).is_err());
        } else {
            prop_assume!(!body.is_empty());
            let mut bad = body.clone();
            let i = flip_at.index(bad.len());
            bad[i] ^= 1 << flip_bit;
            prop_assert!(key.verify(&bad, Some(header.as_bytes())).is_err());
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map("\\PC{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_json_object_is_stored_and_its_raw_bytes_come_back_identical(
        fields in proptest::collection::btree_map("\\PC{0,16}", json_value(), 0..12),
        uuid in "[a-z0-9-]{1,40}",
        pretty in any::<bool>(),
    ) {
        let mut object: Map<String, Value> = fields.into_iter().collect();
        object.insert("uuid".into(), Value::String(uuid.clone()));
        let value = Value::Object(object);
        let body = if pretty { serde_json::to_vec_pretty(&value) } else { serde_json::to_vec(&value) }.unwrap();
        prop_assume!(body.len() <= 64 * 1024);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let t = open_store();
            let app = router(t.store.clone(), IngestConfig::local(LOCAL.parse().unwrap(), SigningKey::new(KEY)));
            let response = app.oneshot(signed_post(&body)).await.unwrap();
            assert_eq!(response.status(), 200);
            let stored = t.store.reader().unwrap().event(&uuid).unwrap().expect("stored under its uuid");
            assert_eq!(stored.event.raw, body, "the raw bytes are kept exactly");
        });
    }
}
