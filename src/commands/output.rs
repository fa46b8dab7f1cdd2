//! The one writer of output trees. A build replaces `<out>/<policy>/` of every policy it
//! builds, all or none, and never deletes a file rdpgen did not write.
//!
//! - **Refusals first.** `--out` (or any directory above it, as given) being a symbolic link,
//!   `<out>/<policy>` being anything but a directory rdpgen made (it holds the marker file
//!   [`MARKER`] listing every file rdpgen wrote there), or holding any file the marker does not
//!   list: the build stops before staging that policy and removes what it staged before it;
//!   nothing outside the staging area was written.
//! - **Staging inside `--out`.** Each policy is written below `<out>/.rdpgen.txn/new/` as soon
//!   as it is ready ([`Transaction::stage`]), so a build holds one policy's artifacts at a time; a
//!   transaction dropped without its commit removes what it staged. This is on the
//!   same file system as the policy directories, so the renames that follow cannot fail with
//!   "Invalid cross-device link" when `--out` is a mount point, and `--out .` needs no
//!   directory outside it. Policy names cannot start with `.`, so nothing collides with it.
//! - **A journal.** When every file is staged, `<out>/.rdpgen.txn/journal` lists the policies
//!   (written to a temporary name, synced, then renamed: the commit point). Each policy is then
//!   swapped by two renames (the old directory into `.rdpgen.txn/old/`, the new one into
//!   place). A failed rename rolls every swapped policy back; a killed build is finished by the
//!   next run: before the commit point it is discarded (all old), after it it is rolled forward
//!   (all new), or back when it had started rolling back. Runs on one `--out` are serialised by
//!   a lock on `<out>/.rdpgen.lock`.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::emit::Artifact;

/// The file in every policy directory rdpgen made, listing the files it wrote there.
pub const MARKER: &str = ".rdpgen-output";
const MARKER_HEADER: &str = "rdpgen output directory: rdpgen replaces it whole on the next build and refuses to if it holds files not listed here";
const TXN: &str = ".rdpgen.txn";
const LOCK: &str = ".rdpgen.lock";
const JOURNAL: &str = "journal";
const ROLLBACK: &str = "rollback";

/// Artifacts of one policy, to land in `<out>/<name>/`.
pub struct PolicyOutput {
    pub name: String,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, thiserror::Error)]
#[error("{action} `{path}`: {source}")]
pub struct WriteError {
    pub action: &'static str,
    pub path: String,
    #[source]
    pub source: std::io::Error,
    /// Whether `--out` is exactly as it was before the build (true unless a failed swap could
    /// not be rolled back, which the message then says).
    pub unchanged: bool,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.display().to_string();
    move |source| WriteError {
        action,
        path,
        source,
        unchanged: true,
    }
}

fn refuse(action: &'static str, path: &Path, why: String) -> WriteError {
    WriteError {
        action,
        path: path.display().to_string(),
        source: std::io::Error::other(why),
        unchanged: true,
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `out` and every directory above it, as given (`link/`, `link/x`, `./link/x`), must not be
/// a symbolic link: the build would write wherever it points.
fn check_no_symlink(out: &Path) -> Result<(), WriteError> {
    let mut prefix = PathBuf::new();
    for component in out.components() {
        prefix.push(component.as_os_str());
        if matches!(component, Component::Normal(_) | Component::ParentDir) && is_symlink(&prefix) {
            return Err(refuse(
                "refusing to write through the symbolic link",
                &prefix,
                format!(
                    "`{}` is a symbolic link; give the real directory as --out",
                    prefix.display()
                ),
            ));
        }
    }
    Ok(())
}

/// Test hooks: `RDPGEN_TEST_PAUSE_AT=<step>` makes the build stop at that step of the swap
/// (`commit` before the journal is committed, `swap-<n>` before the n-th rename), create
/// `<out>/.rdpgen.txn/paused` and sleep, so a test can kill it exactly there;
/// `RDPGEN_TEST_FAIL_AT=<step>` makes that step fail as a rename would.
fn pause_point(txn: &Path, step: &str) -> std::io::Result<()> {
    if std::env::var("RDPGEN_TEST_PAUSE_AT").is_ok_and(|s| s == step) {
        let _ = fs::write(txn.join("paused"), step);
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
    if std::env::var("RDPGEN_TEST_FAIL_AT").is_ok_and(|s| s == step) {
        return Err(std::io::Error::other(
            "injected failure (RDPGEN_TEST_FAIL_AT)",
        ));
    }
    Ok(())
}

/// A build's writes to one `--out`: each policy is staged as soon as it is ready (so a build
/// holds one policy's artifacts at a time, not every policy's), and [`Transaction::commit`]
/// then swaps them all in, all or none. Dropped without a commit, it removes what it staged and
/// leaves `--out` as it was.
pub struct Transaction {
    out: PathBuf,
    /// Set by the first [`Transaction::stage`]: the lock held until the end.
    lock: Option<fs::File>,
    /// The directories the transaction created (`--out` and any missing parent), deepest first,
    /// removed again when it is abandoned so that a failed build leaves no trace.
    created: Vec<PathBuf>,
    /// The policies staged, in order.
    names: Vec<String>,
}

impl Transaction {
    /// A transaction on `out`; nothing is touched until the first policy is staged.
    #[must_use]
    pub fn new(out: &Path) -> Self {
        Self {
            out: out.to_path_buf(),
            lock: None,
            created: Vec::new(),
            names: Vec::new(),
        }
    }

    fn txn(&self) -> PathBuf {
        self.out.join(TXN)
    }

    /// Refuses links above `--out`, creates it, takes the lock, finishes a killed build and
    /// makes an empty staging area.
    fn begin(&mut self) -> Result<(), WriteError> {
        let out = self.out.clone();
        check_no_symlink(&out)?;
        let mut missing = Vec::new();
        let mut dir = out.as_path();
        while !dir.as_os_str().is_empty() && fs::symlink_metadata(dir).is_err() {
            missing.push(dir.to_path_buf());
            dir = dir.parent().unwrap_or(Path::new(""));
        }
        fs::create_dir_all(&out).map_err(io("cannot create", &out))?;
        self.created = missing;
        let lock_path = out.join(LOCK);
        if is_symlink(&lock_path) {
            return Err(refuse(
                "refusing to write through the symbolic link",
                &lock_path,
                "the lock file is a symbolic link".into(),
            ));
        }
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("cannot create", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(refuse(
                    "another rdpgen build is writing to",
                    &out,
                    "wait for it to finish".into(),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("cannot lock", &lock_path)(e)),
        }
        self.lock = Some(lock);
        let txn = self.txn();
        recover(&out, &txn)?;
        let _ = fs::remove_dir_all(&txn);
        fs::create_dir_all(txn.join("old")).map_err(io("cannot create", &txn))?;
        Ok(())
    }

    /// Stages one policy's artifacts below `<out>/.rdpgen.txn/new/<name>/`, after checking
    /// that `<out>/<name>` may be replaced.
    ///
    /// # Errors
    /// A refusal, a concurrent build, or an I/O failure; `--out` is then unchanged once the
    /// transaction is dropped.
    pub fn stage(&mut self, output: &PolicyOutput) -> Result<(), WriteError> {
        if self.lock.is_none() {
            self.begin()?;
        }
        check_replaceable(&self.out.join(&output.name))?;
        stage_one(&self.txn().join("new"), output)?;
        self.names.push(output.name.clone());
        Ok(())
    }

    /// Swaps every staged policy into place, all or none.
    ///
    /// # Errors
    /// An I/O failure; `unchanged` says whether `--out` is as it was.
    pub fn commit(mut self) -> Result<(), WriteError> {
        if self.lock.is_none() {
            self.begin()?;
        }
        let txn = self.txn();
        let names = std::mem::take(&mut self.names);
        let result = commit(&self.out, &txn, &names);
        if result.is_ok() {
            let _ = fs::remove_dir_all(&txn);
        }
        // Committed or not, what is left is the state a next run recovers: forget it here.
        self.created.clear();
        self.lock = None;
        if let Err(e) = result {
            if e.unchanged {
                let _ = fs::remove_dir_all(&txn);
            }
            return Err(e);
        }
        Ok(())
    }
}

impl Drop for Transaction {
    /// Abandoned (an invalid policy, a failed write): what was staged goes, and so does any
    /// directory the transaction made, so `--out` is as it was before the build.
    fn drop(&mut self) {
        if self.lock.is_none() {
            return;
        }
        let _ = fs::remove_dir_all(self.txn());
        if !self.created.is_empty() {
            let _ = fs::remove_file(self.out.join(LOCK));
            for dir in &self.created {
                let _ = fs::remove_dir(dir);
            }
        }
    }
}

/// The files a marker lists, or `None` when the directory has no readable marker.
fn marker_files(dir: &Path) -> Option<Vec<String>> {
    let marker = dir.join(MARKER);
    if !fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let text = fs::read_to_string(marker).ok()?;
    let mut lines = text.lines();
    (lines.next() == Some(MARKER_HEADER)).then(|| lines.map(str::to_string).collect())
}

/// Every file below `dir` (not following links), relative, with `/` separators; directories
/// are walked, anything else (a link, a FIFO) is listed as it is.
fn files_below(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(dir.join(&rel))? {
            let entry = entry?;
            let child = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(child);
            } else {
                out.push(
                    child
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `<out>/<name>` may be replaced only when it does not exist, or is a real directory with
/// rdpgen's marker and no file the marker does not list.
fn check_replaceable(target: &Path) -> Result<(), WriteError> {
    let Ok(meta) = fs::symlink_metadata(target) else {
        return Ok(());
    };
    let not_ours = |why: String| {
        refuse(
            "refusing to replace",
            target,
            format!("{why}; move it away or choose another --out"),
        )
    };
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(not_ours(
            "it is not a directory rdpgen made (a file or a symbolic link)".into(),
        ));
    }
    let Some(listed) = marker_files(target) else {
        return Err(not_ours(format!(
            "it was not made by rdpgen (it has no `{MARKER}` file)"
        )));
    };
    let present = files_below(target).map_err(io("cannot list", target))?;
    if let Some(extra) = present
        .iter()
        .find(|f| f.as_str() != MARKER && !listed.contains(f))
    {
        return Err(not_ours(format!(
            "it holds `{extra}`, which rdpgen did not write; rdpgen never deletes files it did not write"
        )));
    }
    Ok(())
}

/// Writes one policy's files and its marker below `new/<name>/`.
fn stage_one(new: &Path, output: &PolicyOutput) -> Result<(), WriteError> {
    let dir = new.join(&output.name);
    fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
    let mut listed: Vec<String> = Vec::new();
    for artifact in &output.artifacts {
        let path = dir.join(&artifact.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        // No fsync per file: the journal is what makes the output appear whole (a failed
        // or killed build leaves the previous artifacts), and the artifacts are
        // reproducible from the policy, so power-loss durability is not worth one journal
        // commit per file (15,025 for the 1,000 policies of the benchmark).
        let mut file = fs::File::create(&path).map_err(io("cannot create", &path))?;
        file.write_all(&artifact.bytes)
            .map_err(io("cannot write", &path))?;
        listed.push(artifact.path.replace('\\', "/"));
    }
    listed.sort();
    let marker = dir.join(MARKER);
    let mut text = format!("{MARKER_HEADER}\n");
    for f in &listed {
        text.push_str(f);
        text.push('\n');
    }
    fs::write(&marker, text).map_err(io("cannot write", &marker))
}

/// One journal line per policy: its name and whether `<out>/<name>` existed before.
struct Entry {
    name: String,
    existed: bool,
}

fn read_journal(txn: &Path) -> std::io::Result<Vec<Entry>> {
    let text = fs::read_to_string(txn.join(JOURNAL))?;
    let mut entries = Vec::new();
    for line in text.lines().skip(1) {
        let (name, existed) = line
            .split_once('\t')
            .ok_or_else(|| std::io::Error::other(format!("bad journal line `{line}`")))?;
        // Names were validated (`^[a-z0-9][a-z0-9-]*$`); a journal naming anything else was
        // not written by rdpgen and is not trusted.
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(std::io::Error::other(format!(
                "bad policy name `{}` in the journal",
                name.escape_debug()
            )));
        }
        entries.push(Entry {
            name: name.to_string(),
            existed: existed == "1",
        });
    }
    Ok(entries)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn commit(out: &Path, txn: &Path, names: &[String]) -> Result<(), WriteError> {
    let mut journal = String::from("rdpgen journal 1\n");
    let mut entries = Vec::new();
    for name in names {
        let existed = fs::symlink_metadata(out.join(name)).is_ok();
        journal.push_str(&format!("{name}\t{}\n", u8::from(existed)));
        entries.push(Entry {
            name: name.clone(),
            existed,
        });
    }
    let tmp = txn.join("journal.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(journal.as_bytes())?;
        f.sync_all()?;
        Ok(())
    };
    write().map_err(io("cannot write", &tmp))?;
    sync_dir(&txn.join("new"));
    pause_point(txn, "commit")
        .and_then(|()| fs::rename(&tmp, txn.join(JOURNAL)))
        .map_err(io("cannot write", &txn.join(JOURNAL)))?;
    sync_dir(txn);
    // Committed: from here on the build is finished by this run or the next one.
    let mut step = 0;
    if let Err(e) = roll_forward(out, txn, &entries, &mut step) {
        let _ = fs::write(txn.join(ROLLBACK), "");
        sync_dir(txn);
        return Err(match roll_back(out, txn, &entries) {
            Ok(()) => WriteError {
                unchanged: true,
                ..e
            },
            Err(back) => WriteError {
                action: "cannot finish the build; some policies may be new and others old until the next `rdpgen build` on this --out recovers it:",
                path: out.display().to_string(),
                source: std::io::Error::other(format!("{e}; rolling back: {back}")),
                unchanged: false,
            },
        });
    }
    Ok(())
}

/// Swaps in every staged policy still in `new/`; idempotent, so a recovery can repeat it.
fn roll_forward(
    out: &Path,
    txn: &Path,
    entries: &[Entry],
    step: &mut usize,
) -> Result<(), WriteError> {
    for entry in entries {
        let new = txn.join("new").join(&entry.name);
        if !new.exists() {
            continue;
        }
        let target = out.join(&entry.name);
        let old = txn.join("old").join(&entry.name);
        if fs::symlink_metadata(&target).is_ok() {
            if !entry.existed || old.exists() {
                return Err(refuse(
                    "refusing to replace",
                    &target,
                    "it appeared while the build ran".into(),
                ));
            }
            let here = format!("swap-{step}");
            *step += 1;
            pause_point(txn, &here)
                .and_then(|()| fs::rename(&target, &old))
                .map_err(io("cannot move aside", &target))?;
        }
        let here = format!("swap-{step}");
        *step += 1;
        pause_point(txn, &here)
            .and_then(|()| fs::rename(&new, &target))
            .map_err(io("cannot move into place", &target))?;
    }
    Ok(())
}

/// Puts every previous policy directory back and removes the new ones; idempotent.
fn roll_back(out: &Path, txn: &Path, entries: &[Entry]) -> Result<(), WriteError> {
    let mut first_error = None;
    for entry in entries.iter().rev() {
        let target = out.join(&entry.name);
        let new = txn.join("new").join(&entry.name);
        let old = txn.join("old").join(&entry.name);
        let swapped_in = !new.exists() && marker_files(&target).is_some();
        let result = (|| -> std::io::Result<()> {
            if entry.existed {
                if old.exists() {
                    if swapped_in {
                        fs::rename(&target, &new)?;
                    }
                    fs::rename(&old, &target)?;
                }
            } else if swapped_in {
                fs::rename(&target, &new)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            first_error.get_or_insert_with(|| io("cannot restore", &target)(e));
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Finishes a build that was killed: discarded before its commit point, rolled forward after
/// it (or back when it had started rolling back). The directory is then removed.
fn recover(out: &Path, txn: &Path) -> Result<(), WriteError> {
    if fs::symlink_metadata(txn).is_err() {
        return Ok(());
    }
    if is_symlink(txn) {
        return Err(refuse(
            "refusing to write through the symbolic link",
            txn,
            "rdpgen's journal directory is a symbolic link".into(),
        ));
    }
    if txn.join(JOURNAL).exists() {
        let entries = read_journal(txn).map_err(io("cannot read the journal", txn))?;
        let unrecoverable = |e: WriteError| WriteError {
            action: "cannot recover the interrupted build in",
            path: out.display().to_string(),
            source: std::io::Error::other(e.to_string()),
            unchanged: false,
        };
        if txn.join(ROLLBACK).exists() {
            roll_back(out, txn, &entries).map_err(unrecoverable)?;
        } else {
            roll_forward(out, txn, &entries, &mut 0).map_err(unrecoverable)?;
        }
    }
    fs::remove_dir_all(txn).map_err(io("cannot remove", txn))
}
