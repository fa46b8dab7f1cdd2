//! The one writer of output trees. Everything is written into a fresh temporary directory
//! beside `--out`; only when every file is written does each policy directory replace its
//! previous version by rename, so a failed build leaves earlier artifacts as they were.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::emit::Artifact;

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
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError {
    let path = path.display().to_string();
    move |source| WriteError {
        action,
        path,
        source,
    }
}

/// Writes every policy's artifacts, replacing `<out>/<name>/` as a whole.
///
/// # Errors
/// Any I/O failure; the temporary directory is removed and `out` keeps its previous content.
pub fn write_all(out: &Path, outputs: &[PolicyOutput]) -> Result<(), WriteError> {
    if fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WriteError {
            action: "refusing to write through the symbolic link",
            path: out.display().to_string(),
            source: std::io::Error::other("give the real directory as --out"),
        });
    }
    fs::create_dir_all(out).map_err(io("cannot create", out))?;
    recover_interrupted(out);
    let staging = staging_dir(out);
    let result = stage(&staging, outputs).and_then(|()| commit(out, &staging, outputs));
    let _ = fs::remove_dir_all(&staging);
    result
}

/// Whether the process that owns a staging or set-aside directory is gone. Only Linux can
/// tell; elsewhere leftovers are kept for the user to remove.
fn is_dead(pid: &str) -> bool {
    cfg!(target_os = "linux")
        && pid.parse::<u32>().is_ok_and(|p| p != std::process::id())
        && !Path::new("/proc").join(pid).exists()
}

/// Cleans up after a build that was killed: its staging directory is removed, and a policy
/// directory it had moved aside is put back when the new one never arrived.
fn recover_interrupted(out: &Path) {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging_prefix = format!(".{name}.rdpgen-tmp-");
    if let Some(parent) = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .or(Some(Path::new(".")))
    {
        for entry in fs::read_dir(parent).into_iter().flatten().flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = file_name.strip_prefix(&staging_prefix)
                && is_dead(pid)
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    for entry in fs::read_dir(out).into_iter().flatten().flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix('.') else {
            continue;
        };
        let Some((policy, pid)) = rest.rsplit_once(".rdpgen-old-") else {
            continue;
        };
        if !is_dead(pid) {
            continue;
        }
        let target = out.join(policy);
        if target.exists() {
            let _ = fs::remove_dir_all(entry.path());
        } else {
            let _ = fs::rename(entry.path(), &target);
        }
    }
}

fn staging_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.rdpgen-tmp-{}", std::process::id()))
}

fn stage(staging: &Path, outputs: &[PolicyOutput]) -> Result<(), WriteError> {
    let _ = fs::remove_dir_all(staging);
    for output in outputs {
        for artifact in &output.artifacts {
            let path = staging.join(&output.name).join(&artifact.path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
            }
            // No fsync per file: the rename in `commit` is what makes the output appear whole
            // (a failed or killed build leaves the previous artifacts), and the artifacts are
            // reproducible from the policy, so power-loss durability is not worth one journal
            // commit per file (15,025 for the 1,000 policies of the benchmark).
            let mut file = fs::File::create(&path).map_err(io("cannot create", &path))?;
            file.write_all(&artifact.bytes)
                .map_err(io("cannot write", &path))?;
        }
    }
    Ok(())
}

fn commit(out: &Path, staging: &Path, outputs: &[PolicyOutput]) -> Result<(), WriteError> {
    for output in outputs {
        let target = out.join(&output.name);
        let old = out.join(format!(
            ".{}.rdpgen-old-{}",
            output.name,
            std::process::id()
        ));
        if target.exists() {
            fs::rename(&target, &old).map_err(io("cannot move aside", &target))?;
        }
        let new = staging.join(&output.name);
        if let Err(e) = fs::rename(&new, &target) {
            // Put the previous artifacts back before reporting.
            let _ = fs::rename(&old, &target);
            return Err(io("cannot move into place", &target)(e));
        }
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}
