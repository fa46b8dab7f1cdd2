//! The one way rdpgen reads an input file it did not write: policy files, `extends` bases and
//! host files. Only regular files are read (a FIFO, device or socket would hang the run or
//! never end), at most `limit + 1` bytes are read (so a huge file costs no memory), and a
//! helper tells whether a path, after following symbolic links, stays inside a tree.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadRefused {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("is a directory")]
    Directory,
    #[error("is not a regular file ({0}); rdpgen reads only regular files")]
    NotRegular(&'static str),
}

impl ReadRefused {
    /// Whether the file does not exist at all.
    #[cfg(test)]
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

fn kind_of(file_type: fs::FileType) -> Result<(), ReadRefused> {
    if file_type.is_file() {
        return Ok(());
    }
    if file_type.is_dir() {
        return Err(ReadRefused::Directory);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Err(ReadRefused::NotRegular("a FIFO"));
        }
        if file_type.is_socket() {
            return Err(ReadRefused::NotRegular("a socket"));
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return Err(ReadRefused::NotRegular("a device"));
        }
    }
    Err(ReadRefused::NotRegular("not a plain file"))
}

/// Opens without blocking on a FIFO that appeared between the check and the open.
fn open_nonblocking(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(0o4000); // O_NONBLOCK
    }
    #[cfg(target_os = "macos")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(0x0004); // O_NONBLOCK
    }
    options.open(path)
}

/// Reads a regular file (following symbolic links), at most `limit + 1` bytes: a result longer
/// than `limit` means the file is too large.
///
/// # Errors
/// The file is missing or unreadable, or is a directory, FIFO, socket or device.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadRefused> {
    kind_of(fs::metadata(path)?.file_type())?;
    let file = open_nonblocking(path)?;
    // The path may have been swapped between the check and the open: check what was opened.
    kind_of(file.metadata()?.file_type())?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Creates (or truncates) a file for writing without following a symbolic link at `path`, so
/// `--output report.html` cannot be made to overwrite whatever a planted link points at.
///
/// # Errors
/// `path` is a symbolic link, or cannot be created.
pub fn create_no_follow(path: &Path) -> std::io::Result<fs::File> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other(
            "it is a symbolic link; rdpgen does not write through it",
        ));
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "x86", target_arch = "riscv64")
    ))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(0o400_000); // O_NOFOLLOW
    }
    #[cfg(all(target_os = "linux", any(target_arch = "aarch64", target_arch = "arm")))]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(0o100_000); // O_NOFOLLOW
    }
    #[cfg(target_os = "macos")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(0x0100); // O_NOFOLLOW
    }
    options.open(path)
}

/// `path` with symbolic links resolved, or `None` when it cannot be resolved.
#[must_use]
pub fn resolve(path: &Path) -> Option<PathBuf> {
    fs::canonicalize(path).ok()
}

/// Whether `path`, after following every symbolic link, lies inside `root` (itself resolved).
/// A path that cannot be resolved is not inside.
#[must_use]
pub fn stays_inside(path: &Path, root: &Path) -> bool {
    match (resolve(path), resolve(root)) {
        (Some(p), Some(r)) => p.starts_with(r),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_reads_are_bounded() {
        let dir = std::env::temp_dir().join(format!("rdpgen-fsread-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.txt");
        fs::write(&file, b"0123456789").unwrap();
        assert_eq!(read_regular(&file, 100).unwrap(), b"0123456789");
        assert_eq!(read_regular(&file, 4).unwrap().len(), 5);
        assert!(matches!(
            read_regular(&dir, 100),
            Err(ReadRefused::Directory)
        ));
        assert!(
            read_regular(&dir.join("missing"), 100)
                .unwrap_err()
                .is_not_found()
        );
        #[cfg(unix)]
        {
            let fifo = dir.join("fifo");
            let status = std::process::Command::new("mkfifo").arg(&fifo).status();
            if status.is_ok_and(|s| s.success()) {
                let err = read_regular(&fifo, 100).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    "is not a regular file (a FIFO); rdpgen reads only regular files"
                );
            }
            assert!(matches!(
                read_regular(Path::new("/dev/zero"), 100),
                Err(ReadRefused::NotRegular("a device"))
            ));
            std::os::unix::fs::symlink("/etc/hostname", dir.join("out")).unwrap();
            assert!(!stays_inside(&dir.join("out"), &dir));
            assert!(stays_inside(&file, &dir));
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
