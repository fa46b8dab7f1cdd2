//! Hostile input and failure: reproducible bytes, atomic output (a bad policy, a full disk, a
//! kill), path traversal, `--out` through a symlink, `extends` outside the policy tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{rdpgen, repo, run, scratch};

/// Every file under `dir` with its bytes, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn builds_are_reproducible_across_directories_time_zones_locales_and_order() {
    let a = scratch("repro-a");
    let relative: Vec<PathBuf> = examples()
        .iter()
        .map(|p| p.strip_prefix(repo()).unwrap().to_path_buf())
        .collect();
    let (code, _, stderr) = run(rdpgen()
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .arg("build")
        .args(&relative)
        .arg("--out")
        .arg(&a));
    assert_eq!(code, 0, "{stderr}");

    let b = scratch("repro-b");
    let mut reversed = examples();
    reversed.reverse();
    let (code, _, stderr) = run(rdpgen()
        .current_dir("/")
        .env("TZ", "Pacific/Chatham")
        .env("LC_ALL", "fr_FR.UTF-8")
        .env("LANG", "ja_JP.UTF-8")
        .arg("build")
        .args(&reversed)
        .arg("--out")
        .arg(&b));
    assert_eq!(code, 0, "{stderr}");
    let (ta, tb) = (tree(&a), tree(&b));
    assert!(ta.len() >= 16, "{:?}", ta.keys());
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (path, bytes) in &ta {
        assert!(bytes == &tb[path], "{path} differs between the two builds");
    }
}

#[test]
fn path_traversal_in_names_and_guids_is_refused() {
    let dir = scratch("traversal");
    let out = dir.join("out");
    for (yaml, code) in [
        ("rdpgen: 1\nname: ../../etc\n", "RDP047"),
        (
            "rdpgen: 1\nname: ok\ngpo:\n  guid: \"{../../../../tmp/x}\"\n",
            "RDP046",
        ),
        ("rdpgen: 1\nname: \"a/b\"\n", "RDP047"),
    ] {
        let policy = dir.join("p.yaml");
        std::fs::write(&policy, yaml).unwrap();
        let (status, _, stderr) = run(rdpgen().arg("build").arg(&policy).arg("--out").arg(&out));
        assert_eq!(status, 1, "{yaml}");
        assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
        assert!(!out.exists(), "nothing is written for {yaml}");
    }
}

#[test]
fn out_through_a_symlink_is_refused() {
    let dir = scratch("symlink");
    let real = dir.join("elsewhere");
    std::fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(&real, dir.join("out")).unwrap();
    let (code, _, stderr) = run(rdpgen()
        .args(["build", "examples/tier1.yaml", "--out"])
        .arg(dir.join("out")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("refusing to write through the symbolic link"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
}

#[test]
fn extends_cannot_leave_the_policy_tree() {
    let dir = scratch("outside");
    let policy = dir.join("p.yaml");
    std::fs::write(
        &policy,
        "rdpgen: 1\nname: t\nextends: [/etc/passwd, ../../../../../../../../etc/hostname]\n",
    )
    .unwrap();
    let (code, stdout, _) = run(rdpgen().args(["validate", "--format", "json"]).arg(&policy));
    assert_eq!(code, 1);
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags.iter().all(|d| d["code"] == "RDP024"));
    assert!(
        !stdout.contains("root:"),
        "no line of /etc/passwd may appear in messages"
    );
}

#[test]
fn a_full_disk_leaves_previous_artifacts_as_they_were() {
    let dir = scratch("fulldisk");
    let mount = dir.join("small");
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=48k", "tmpfs"])
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    // CI runs as root (it installs the validators with apt), so there the mount must work.
    if !crate::available(
        "a small tmpfs mount (needs root) for the full-disk test",
        mounted,
    ) {
        return;
    }
    let out = mount.join("out");
    let tiny = dir.join("tiny.yaml");
    std::fs::write(&tiny, "rdpgen: 1\nname: tiny\nsecurity:\n  nla: true\n").unwrap();
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&tiny)
        .args(["--target", "reg", "--out"])
        .arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let before = tree(&out);
    let mut cmd = rdpgen();
    cmd.arg("build")
        .arg(&tiny)
        .args(examples())
        .arg("--out")
        .arg(&out);
    let (code, _, stderr) = run(&mut cmd);
    let after = tree(&out);
    let leftovers: Vec<String> = std::fs::read_dir(&mount)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out")
        .collect();
    let _ = Command::new("umount").arg(&mount).status();
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(before, after, "previous artifacts must be untouched");
    assert!(leftovers.is_empty(), "staging removed: {leftovers:?}");
}

#[test]
fn a_killed_build_never_leaves_a_half_written_policy() {
    let dir = scratch("killed");
    let out = dir.join("out");
    let tiny = dir.join("tiny.yaml");
    std::fs::write(&tiny, "rdpgen: 1\nname: tiny\nconnection:\n  port: 3390\n").unwrap();
    let (code, _, _) = run(rdpgen().arg("build").arg(&tiny).arg("--out").arg(&out));
    assert_eq!(code, 0);
    let old = tree(&out.join("tiny"));
    std::fs::write(&tiny, "rdpgen: 1\nname: tiny\nconnection:\n  port: 3391\n").unwrap();
    let mut args = vec![tiny.clone()];
    for i in 0..400 {
        let p = dir.join(format!("p{i}.yaml"));
        std::fs::write(
            &p,
            format!(
                "rdpgen: 1\nname: p{i}\nextends: [cis-level1]\nconnection:\n  port: {}\n",
                4000 + i
            ),
        )
        .unwrap();
        args.push(p);
    }
    for delay_ms in [5u64, 40, 400, 1500] {
        let mut child = rdpgen()
            .arg("build")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // The next build recovers anything the killed one had moved aside.
        let other = dir.join("other.yaml");
        std::fs::write(&other, "rdpgen: 1\nname: other\n").unwrap();
        let (code, _, stderr) = run(rdpgen()
            .arg("build")
            .arg(&other)
            .args(["--target", "reg", "--out"])
            .arg(&out));
        assert_eq!(code, 0, "{stderr}");
        let now = tree(&out.join("tiny"));
        let new_port = now
            .get("reg/apply.reg")
            .is_some_and(|b| b != &old["reg/apply.reg"]);
        assert!(
            now == old || (new_port && now.len() == old.len()),
            "tiny is either the old or the complete new build"
        );
        let stray: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .chain(std::fs::read_dir(&out).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".rdpgen-"))
            .collect();
        assert!(stray.is_empty(), "leftovers after recovery: {stray:?}");
    }
}
