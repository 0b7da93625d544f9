//! Any settings file: reading and validating it never panics.
#![no_main]

use doorwatch::config::settings::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(settings) = toml::from_str::<Settings>(text) {
            let _ = settings.validate();
        }
    }
});
