//! Writing a file that only its owner may read, all at once: the new content goes to a temporary file
//! beside it, is flushed to disk, and replaces the old file in one rename, so a crash never leaves half
//! a settings or secrets file behind. The temporary file has a random name and is created exclusively
//! (`O_CREAT | O_EXCL`), so it is never an existing file, nor a symbolic link planted at a predictable
//! name, and two writers never share one.

use std::io::Write;
use std::path::Path;

pub fn write(path: &Path, content: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(format!(".{:016x}.tmp", rand::random::<u64>()));
    let tmp = path.with_file_name(tmp_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    let written = file.write_all(content).and_then(|()| file.sync_all()).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_planted_beside_the_file_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("settings.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        // The old fixed name: a link there once redirected the write.
        #[cfg(unix)]
        std::os::unix::fs::symlink(&victim, dir.path().join("settings.toml.tmp")).unwrap();
        super::write(&target, b"listen = \"127.0.0.1:1\"\n").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "listen = \"127.0.0.1:1\"\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left.len(), 3, "no temporary file left behind: {left:?}");
    }
}
