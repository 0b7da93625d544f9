//! The UI's types are generated from the Rust types that cross IPC (ts-rs), never typed twice: this
//! test fails when `ui/src/bindings/` differs from what the Rust types generate now.
//! `make bindings` (UPDATE_BINDINGS=1) rewrites the folder.

use std::collections::BTreeMap;
use std::path::Path;

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
            }
        }
    }
    files
}

#[test]
fn the_uis_bindings_are_what_the_rust_types_generate() {
    let generated = tempfile::tempdir().unwrap();
    doorwatch_desktop::export_typescript(generated.path()).unwrap();
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let fresh = read_dir(generated.path());
    assert!(fresh.contains_key("StoredEvent.ts") && fresh.contains_key("StatusView.ts"), "{:?}", fresh.keys());
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
        return;
    }
    let committed = read_dir(&committed_dir);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "ui/src/bindings is out of date: run `make bindings`"
    );
    for (name, text) in &fresh {
        assert_eq!(&committed[name], text, "ui/src/bindings/{name} is out of date: run `make bindings`");
    }
}
