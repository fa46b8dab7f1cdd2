//! The one integration-test binary: drives the real `rdpgen` executable.

mod build;
mod coverage;
mod diff;
mod docs;
mod dsc;
mod explain;
mod firewall;
mod fleets;
mod gpo;
mod hardening;
mod import;
mod model;
mod osquery;
mod reports;
mod rollback;
mod safety;
mod validate;
mod verdicts;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn rdpgen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rdpgen"));
    cmd.env_remove("NO_COLOR").current_dir(repo());
    cmd
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("rdpgen runs");
    (
        status.code().expect("exited normally, not by a signal"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Whether a test may use something outside the repository (a validator, `../shared`). When
/// it is missing the test says so visibly and skips locally, and fails under CI (`CI` set), so
/// a CI run can never pass with a missing install.
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing, and CI is set: install it (.ci/run does)"
    );
    eprintln!("\n!!! SKIPPED: {what} is missing; this test DID NOT RUN here (CI runs it) !!!\n");
    false
}

/// `../shared`, beside the repository (CI clones it there).
pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// The model of a valid policy file, through the one compile entry point the commands use.
pub fn model_of(path: &std::path::Path) -> rdpgen::model::Model {
    let mut sources = rdpgen::source::Sources::default();
    rdpgen::compile::compile(rdpgen::compile::Input::File(path), &mut sources)
        .unwrap_or_else(|e| panic!("{e}"))
        .model
        .unwrap_or_else(|| panic!("{} is valid", path.display()))
        .unwrap_or_else(|e| panic!("{} lowers: {e}", path.display()))
}
