//! Any request body: the tolerant parse never panics, and what it accepts keeps the exact bytes and
//! always has a uuid (Kisi's, or one derived from the bytes).
#![no_main]

use doorwatch::event::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::from_json(data) {
        assert_eq!(event.raw, data);
        assert!(!event.uuid.is_empty());
    }
});
