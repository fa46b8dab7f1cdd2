//! The one integration-test binary: drives the real `rdpgen` executable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod admx;
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
mod lockout;
mod model;
mod osquery;
mod posture;
mod reports;
mod rollback;
mod safety;
mod validate;
mod verdicts;

#[path = "../support/mod.rs"]
mod support;

pub use support::{assert_snapshot, available};

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
/// The one directory inside `dir` (a GPO backup folder inside `<out>/gpo`, say).
pub fn only_dir(dir: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "{}: {dirs:?}", dir.display());
    dirs[0].clone()
}

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

/// `../shared`, beside the repository (CI clones it there).
pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// The Python of the validators' venv, with tree-sitter-powershell (`bash
/// ../shared/validators/install.sh py`; `RDPGEN_VALIDATORS_CACHE` overrides
/// `~/.cache/rdpgen-validators`), or `None` once [`available`] has said it is missing.
pub fn tree_sitter_python() -> Option<PathBuf> {
    let cache = std::env::var_os("RDPGEN_VALIDATORS_CACHE").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/rdpgen-validators")
        },
        PathBuf::from,
    );
    let python = cache.join("venv/bin/python");
    available(
        &format!(
            "tree-sitter-powershell ({}: bash ../shared/validators/install.sh py)",
            python.display()
        ),
        python.is_file(),
    )
    .then_some(python)
}

/// The venv's Python and `ps-parse-check.py` from `../shared/validators` (`RDPGEN_VALIDATORS`
/// overrides the directory, as in `tests/fixtures/dsc/dsc_checks.py`): both must be there, or
/// `None` once [`available`] has said which is missing.
pub fn ps_parse_check() -> Option<(PathBuf, PathBuf)> {
    let python = tree_sitter_python()?;
    let validators = std::env::var_os("RDPGEN_VALIDATORS")
        .map_or_else(|| shared().join("validators"), PathBuf::from);
    let script = validators.join("ps-parse-check.py");
    available(
        &format!(
            "{} (CI clones ../shared beside the repository)",
            script.display()
        ),
        script.is_file(),
    )
    .then_some((python, script))
}

/// The model of a valid policy file, through the one compile entry point the commands use.
pub fn model_of(path: &Path) -> rdpgen::model::Model {
    let mut sources = rdpgen::source::Sources::default();
    rdpgen::compile::compile(rdpgen::compile::Input::File(path), &mut sources)
        .unwrap_or_else(|e| panic!("{e}"))
        .model
        .unwrap_or_else(|| panic!("{} is valid", path.display()))
        .unwrap_or_else(|e| panic!("{} lowers: {e}", path.display()))
}

/// A generated file's text, whether it is UTF-8 or UTF-16LE with a byte-order mark (regedit
/// exports, LGPO text): what a test searches for names in.
pub fn text_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(rest) => String::from_utf16_lossy(
            &rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        ),
        None => String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// `rdpgen diff --format json POLICY HOST`: the exit status and the report.
pub fn diff_json(policy: impl AsRef<std::ffi::OsStr>, host: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = run(rdpgen()
        .args(["diff", "--color", "never", "--format", "json"])
        .arg(policy)
        .arg(host));
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

/// The outcome (`pass`, `fail`, `notVerified`, ...) of check `id` of the report's first host.
pub fn check_outcome(report: &serde_json::Value, id: &str) -> String {
    report["hosts"][0]["checks"]
        .as_array()
        .expect("a host with checks")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))["outcome"]
        .as_str()
        .expect("an outcome")
        .to_string()
}
