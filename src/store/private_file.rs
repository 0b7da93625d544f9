//! The database file is created readable by its owner only, before SQLite opens it: a door log says
//! who was where and when.

use std::path::Path;

use super::StoreError;

/// Creates the database file (and its folder) readable by its owner only, before SQLite opens it:
/// a door log says who was where and when. SQLite gives its -wal and -shm files the same mode.
pub(super) fn create(path: &Path) -> Result<(), StoreError> {
    let fail = |e: std::io::Error| StoreError::Open { path: path.to_owned(), reason: e.to_string() };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(fail)?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    drop(file);
    Ok(())
}
