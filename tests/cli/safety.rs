//! Safe by construction (issue 14): the multi-policy swap survives SIGKILL at every step, user
//! files are never deleted, `--out` never goes through a symbolic link, named files and host
//! files that lead out of their tree are refused unread, FIFOs never hang a run, and host
//! strings cannot drive the terminal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{rdpgen, repo, run, scratch};

/// Every file under `dir` with its bytes, by relative path (`None` when `dir` is absent).
fn tree(dir: &Path) -> Option<BTreeMap<String, Vec<u8>>> {
    if !dir.exists() {
        return None;
    }
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
    Some(out)
}

fn policy(dir: &Path, name: &str, port: u16) -> PathBuf {
    let p = dir.join(format!("{name}.yaml"));
    std::fs::write(
        &p,
        format!("rdpgen: 1\nname: {name}\nconnection:\n  port: {port}\n"),
    )
    .unwrap();
    p
}

/// Runs `cmd` and kills it if it has not finished within `limit`; `None` when it hung.
fn run_with_deadline(cmd: &mut Command, limit: Duration) -> Option<(i32, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            return Some((status.code().unwrap_or(-1), text));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn sigkill_at_every_step_of_the_swap_leaves_all_old_or_all_new() {
    let steps = ["commit", "swap-0", "swap-1", "swap-2", "swap-3", "swap-4"];
    for step in steps {
        let dir = scratch("swap-kill");
        let out = dir.join("out");
        let old_a = policy(&dir, "a", 3390);
        let old_b = policy(&dir, "b", 3390);
        let (code, _, stderr) = run(rdpgen()
            .arg("build")
            .args([&old_a, &old_b])
            .args(["--target", "reg", "--out"])
            .arg(&out));
        assert_eq!(code, 0, "{stderr}");
        let before: Vec<_> = ["a", "b", "c"].map(|n| tree(&out.join(n))).into();
        // The new build changes a and b and adds c: five renames (a aside, a in, b aside, b
        // in, c in). Kill it at each.
        let files = ["a", "b", "c"].map(|n| policy(&dir, n, 3391));
        let mut child = rdpgen()
            .arg("build")
            .args(&files)
            .args(["--target", "reg", "--out"])
            .arg(&out)
            .env("RDPGEN_TEST_PAUSE_AT", step)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let paused = out.join(".rdpgen.txn/paused");
        let start = Instant::now();
        while !paused.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the build never reached {step}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Another build on the same --out recovers first.
        let other = policy(&dir, "other", 3389);
        let (code, _, stderr) = run(rdpgen()
            .arg("build")
            .arg(&other)
            .args(["--target", "reg", "--out"])
            .arg(&out));
        assert_eq!(code, 0, "{step}: {stderr}");
        let after: Vec<_> = ["a", "b", "c"].map(|n| tree(&out.join(n))).into();
        // What a complete new build gives, for comparison.
        let fresh = dir.join("fresh");
        let (code, _, _) = run(rdpgen()
            .arg("build")
            .args(&files)
            .args(["--target", "reg", "--out"])
            .arg(&fresh));
        assert_eq!(code, 0);
        let new: Vec<_> = ["a", "b", "c"].map(|n| tree(&fresh.join(n))).into();
        if step == "commit" {
            assert_eq!(after, before, "killed before the commit point: all old");
        } else {
            assert_eq!(
                after, new,
                "killed after the commit point ({step}): all new"
            );
        }
        assert!(
            !out.join(".rdpgen.txn").exists(),
            "{step}: journal left behind"
        );
    }
}

#[test]
fn a_failed_rename_mid_swap_rolls_back_and_says_so_honestly() {
    for step in ["swap-0", "swap-1", "swap-2", "swap-3", "swap-4"] {
        let dir = scratch("swap-fail");
        let out = dir.join("out");
        let (a, b) = (policy(&dir, "a", 3390), policy(&dir, "b", 3390));
        let (code, _, _) = run(rdpgen()
            .arg("build")
            .args([&a, &b])
            .args(["--target", "reg", "--out"])
            .arg(&out));
        assert_eq!(code, 0);
        let before = tree(&out);
        let files = ["a", "b", "c"].map(|n| policy(&dir, n, 3391));
        let (code, stdout, stderr) = run(rdpgen()
            .arg("build")
            .args(&files)
            .args(["--target", "reg", "--out"])
            .arg(&out)
            .env("RDPGEN_TEST_FAIL_AT", step));
        assert_eq!(code, 2, "{step}: {stderr}");
        assert!(
            stdout.is_empty(),
            "{step}: no artifact is listed as written"
        );
        assert!(stderr.contains("injected failure"), "{stderr}");
        assert!(
            stderr.contains("nothing was changed in"),
            "{step}: {stderr}"
        );
        assert_eq!(tree(&out), before, "{step}: every policy is as it was");
    }
}

#[test]
fn user_files_and_directories_rdpgen_did_not_make_are_never_deleted() {
    // A policy named `src` built with `--out .` must not replace the project's src/.
    let dir = scratch("userfiles");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let src = dir.join("src.yaml");
    std::fs::write(&src, "rdpgen: 1\nname: src\n").unwrap();
    let (code, _, stderr) = run(rdpgen()
        .current_dir(&dir)
        .args(["build", "src.yaml", "--out", "."]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("refusing to replace `./src`: it was not made by rdpgen (it has no `.rdpgen-output` file)"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was changed in `.`"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("src/main.rs")).unwrap(),
        "fn main() {}\n"
    );
    assert!(!dir.join(".rdpgen.txn").exists());

    // A file a user put inside a directory rdpgen made.
    let out = dir.join("out");
    let p = policy(&dir, "p", 3390);
    let (code, _, _) = run(rdpgen().arg("build").arg(&p).arg("--out").arg(&out));
    assert_eq!(code, 0);
    std::fs::write(out.join("p/notes.txt"), "mine").unwrap();
    let before = tree(&out);
    let p = policy(&dir, "p", 3391);
    let (code, _, stderr) = run(rdpgen().arg("build").arg(&p).arg("--out").arg(&out));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("it holds `notes.txt`, which rdpgen did not write; rdpgen never deletes files it did not write"),
        "{stderr}"
    );
    assert_eq!(tree(&out), before, "nothing changed");
    // Once the user file is gone, the build replaces the directory.
    std::fs::remove_file(out.join("p/notes.txt")).unwrap();
    let (code, _, stderr) = run(rdpgen().arg("build").arg(&p).arg("--out").arg(&out));
    assert_eq!(code, 0, "{stderr}");

    // A symbolic link where the policy directory would go is not followed or replaced.
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("keep"), "x").unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("q")).unwrap();
    let q = policy(&dir, "q", 3390);
    let (code, _, stderr) = run(rdpgen().arg("build").arg(&q).arg("--out").arg(&out));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refusing to replace"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("keep")).unwrap(),
        "x"
    );
}

#[test]
fn out_dot_stages_inside_the_output_and_leaves_nothing_behind() {
    let dir = scratch("outdot");
    policy(&dir, "p", 3390);
    let (code, stdout, stderr) = run(rdpgen()
        .current_dir(&dir)
        .args(["build", "p.yaml", "--target", "reg", "--out", "."]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("./p/reg/apply.reg"), "{stdout}");
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("rdpgen") && n != ".rdpgen.lock")
        .collect();
    assert!(names.is_empty(), "{names:?}");
    // The parent of `--out` is never written to.
    let parent: Vec<String> = std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".rdpgen-tmp"))
        .collect();
    assert!(parent.is_empty(), "{parent:?}");
}

#[test]
fn out_through_a_symlinked_parent_or_with_a_trailing_slash_is_refused() {
    let dir = scratch("outlink");
    let real = dir.join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(&real, dir.join("link")).unwrap();
    let p = policy(&dir, "p", 3390);
    for out in ["link/", "link/x", "./link/x/y"] {
        let (code, _, stderr) = run(rdpgen()
            .current_dir(&dir)
            .arg("build")
            .arg(&p)
            .args(["--out", out]));
        assert_eq!(code, 2, "{out}: {stderr}");
        assert!(
            stderr.contains("refusing to write through the symbolic link")
                && stderr.contains("link` is a symbolic link; give the real directory as --out"),
            "{out}: {stderr}"
        );
        assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0, "{out}");
    }
}

#[test]
fn a_named_policy_that_links_out_of_its_tree_is_refused_unread() {
    let dir = scratch("namedlink");
    let secret = std::env::temp_dir().join(format!("rdpgen-secret-{}", std::process::id()));
    std::fs::write(&secret, "API_TOKEN=hunter2\n").unwrap();
    let link = dir.join("policy.yaml");
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    for args in [
        vec!["validate"],
        vec!["validate", "--format", "json"],
        vec!["build", "--out"],
    ] {
        let mut cmd = rdpgen();
        cmd.args(&args);
        if args[0] == "build" {
            cmd.arg(dir.join("out"));
        }
        let (code, stdout, stderr) = run(cmd.arg(&link));
        assert_eq!(code, 1, "{args:?}: {stdout}{stderr}");
        let all = format!("{stdout}{stderr}");
        assert!(all.contains("RDP024"), "{all}");
        assert!(
            all.contains("is a symbolic link to a file outside its policy tree"),
            "{all}"
        );
        assert!(
            !all.contains("hunter2") && !all.contains("API_TOKEN"),
            "{all}"
        );
    }
    let (code, stdout, _) = run(rdpgen().args(["validate", "--format", "json"]).arg(&link));
    assert_eq!(code, 1);
    let diags: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["code"], "RDP024");
    assert_eq!(diags[0]["file"], serde_json::Value::Null);
    let _ = std::fs::remove_file(&secret);
    // A link inside the tree is fine.
    let real = dir.join("real.yaml");
    std::fs::write(&real, "rdpgen: 1\nname: t\n").unwrap();
    std::os::unix::fs::symlink(&real, dir.join("inside.yaml")).unwrap();
    let (code, _, _) = run(rdpgen().arg("validate").arg(dir.join("inside.yaml")));
    assert_eq!(code, 0);
}

#[test]
fn fifos_never_hang_a_run() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe.yaml");
    if !crate::available("mkfifo", mkfifo(&fifo)) {
        return;
    }
    let limit = Duration::from_secs(20);
    // As the named policy.
    let (code, text) =
        run_with_deadline(rdpgen().arg("validate").arg(&fifo), limit).expect("no hang");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("is not a regular file (a FIFO); rdpgen reads only regular files"),
        "{text}"
    );
    // As an `extends` base.
    let p = dir.join("p.yaml");
    std::fs::write(&p, "rdpgen: 1\nname: t\nextends: [./pipe.yaml]\n").unwrap();
    let (code, text) = run_with_deadline(rdpgen().arg("validate").arg(&p), limit).expect("no hang");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("error[RDP023]"), "{text}");
    assert!(text.contains("is not a regular file (a FIFO)"), "{text}");
    // Among host files: that host is unreadable with the reason, the others are audited.
    let hosts = dir.join("hosts");
    std::fs::create_dir_all(hosts.join("sub")).unwrap();
    std::fs::copy(
        repo().join("examples/hosts/tier1-compliant.json"),
        hosts.join("good.json"),
    )
    .unwrap();
    assert!(mkfifo(&hosts.join("pipe.json")));
    assert!(mkfifo(&hosts.join("sub/pipe.reg")));
    let (code, text) = run_with_deadline(
        rdpgen()
            .args(["diff", "--color", "never", "examples/tier1.yaml"])
            .arg(&hosts),
        limit,
    )
    .expect("no hang");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("compliant RDS-T1-01"), "{text}");
    assert!(
        text.contains("UNREADABLE pipe: cannot read: is not a regular file (a FIFO); rdpgen reads only regular files"),
        "{text}"
    );
    assert!(
        text.contains("UNREADABLE sub: cannot read: is not a regular file (a FIFO)"),
        "{text}"
    );
    assert!(
        text.contains("3 hosts: 1 compliant, 0 drifted, 0 incomplete, 2 unreadable"),
        "{text}"
    );
}

#[test]
fn a_host_entry_that_links_out_of_the_directory_is_reported_not_followed() {
    let dir = scratch("hostlink");
    let hosts = dir.join("hosts");
    std::fs::create_dir_all(hosts.join("sub")).unwrap();
    std::fs::copy(
        repo().join("examples/hosts/tier1-compliant.json"),
        hosts.join("good.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", hosts.join("passwd.reg")).unwrap();
    std::os::unix::fs::symlink("/etc", hosts.join("etc")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", hosts.join("sub/h.json")).unwrap();
    let (code, stdout, stderr) = run(rdpgen()
        .args(["diff", "--color", "never", "examples/tier1.yaml"])
        .arg(&hosts));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("compliant RDS-T1-01"), "{stdout}");
    for (host, entry) in [
        ("passwd", "passwd.reg"),
        ("etc", "etc"),
        ("sub", "sub/h.json"),
    ] {
        let needle = format!(
            "UNREADABLE {host}: cannot read: `{}` is a symbolic link out of `",
            hosts.join(entry).display()
        );
        assert!(stdout.contains(&needle), "{needle} in\n{stdout}");
    }
    assert!(
        !stdout.contains("root:"),
        "no line of /etc/passwd is quoted"
    );
    assert!(
        stdout.contains("4 hosts: 1 compliant, 0 drifted, 0 incomplete, 3 unreadable"),
        "{stdout}"
    );
}

#[test]
fn a_reg_error_never_quotes_a_file_that_is_not_a_registry_export() {
    let dir = scratch("notreg");
    std::fs::write(dir.join("secret.reg"), "API_TOKEN=hunter2\n").unwrap();
    let (code, stdout, _) = run(rdpgen()
        .args(["diff", "--color", "never", "examples/tier1.yaml"])
        .arg(dir.join("secret.reg")));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("UNREADABLE secret: .reg line 1, column 1: not a registry export"),
        "{stdout}"
    );
    assert!(!stdout.contains("hunter2"), "{stdout}");
}

#[test]
fn host_strings_cannot_drive_the_terminal() {
    let dir = scratch("esc");
    let good = std::fs::read_to_string(repo().join("examples/hosts/tier1-compliant.json")).unwrap();
    let hostile = good
        .replace(
            "\"host\": \"RDS-T1-01\"",
            "\"host\": \"RDS\\u001b[2K\\r\\u001b]0;pwned\\u0007\\u202e10-T1-01\"",
        )
        .replace(
            "\"category\": \"DomainAuthenticated\"",
            "\"category\": \"Public\"",
        )
        .replace(
            "\"interface\": \"Ethernet0\"",
            "\"interface\": \"eth\\u001b[1A\\u001b[2K\\rcompliant \\u009b31m\"",
        );
    assert_ne!(hostile, good);
    let path = dir.join("h.json");
    std::fs::write(&path, hostile).unwrap();
    for format in ["text", "junit"] {
        let (_, stdout, _) = run(rdpgen()
            .args([
                "diff",
                "--color",
                "always",
                "--format",
                format,
                "examples/tier1.yaml",
            ])
            .arg(&path));
        let bad: Vec<char> = stdout
            .chars()
            .filter(|c| {
                (c.is_control() && !matches!(c, '\n' | '\t' | '\x1b'))
                    || ('\u{202a}'..='\u{202e}').contains(c)
            })
            .collect();
        assert!(bad.is_empty(), "{format}: {bad:?} in\n{stdout}");
        if format == "text" {
            // Colour codes are rdpgen's own; none comes from the host.
            for line in stdout.lines() {
                assert!(
                    !line.contains("\x1b[2K")
                        && !line.contains("\x1b[1A")
                        && !line.contains("\x1b]0;"),
                    "{line:?}"
                );
            }
            assert!(
                stdout.contains("RDS\\u{1b}[2K\\u{d}\\u{1b}]0;pwned\\u{7}\\u{202e}10-T1-01"),
                "{stdout}"
            );
            assert!(
                stdout.contains("eth\\u{1b}[1A\\u{1b}[2K\\u{d}compliant \\u{9b}31m"),
                "{stdout}"
            );
        }
    }
}

#[test]
fn policy_text_in_diagnostics_cannot_drive_the_terminal() {
    let dir = scratch("escdiag");
    let p = dir.join("p.yaml");
    // Raw escapes in a comment (a YAML error, RDP001) and an escaped one inside a string
    // (RDP044): neither reaches the terminal, in the message or in the quoted source line.
    for (text, code) in [
        (
            "rdpgen: 1\nname: t\n# \x1b[2J\x1b]0;x\x07 comment\n",
            "RDP001",
        ),
        (
            "rdpgen: 1\nname: t\nlogonRights:\n  allow: [\"a\\e[2K\\rb\"]\n",
            "RDP044",
        ),
    ] {
        std::fs::write(&p, text).unwrap();
        let (status, stdout, _) = run(rdpgen().args(["validate", "--color", "never"]).arg(&p));
        assert_eq!(status, 1, "{stdout}");
        assert!(
            !stdout.contains('\x1b') && !stdout.contains('\x07'),
            "{stdout:?}"
        );
        assert!(stdout.contains(&format!("error[{code}]")), "{stdout}");
    }
}

#[test]
fn diff_output_does_not_follow_a_symbolic_link() {
    let dir = scratch("outputlink");
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let link = dir.join("report.txt");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let (code, _, stderr) = run(rdpgen()
        .args([
            "diff",
            "examples/tier1.yaml",
            "examples/hosts/tier1-compliant.json",
            "--output",
        ])
        .arg(&link));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("it is a symbolic link; rdpgen does not write through it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn out_on_a_mount_point_builds() {
    // Staging beside `--out` put it on the parent file system, and the rename into the mount
    // failed with "Invalid cross-device link"; staging inside `--out` cannot.
    let dir = scratch("mountpoint");
    let mount = dir.join("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mount)
        .status()
        .is_ok_and(|s| s.success());
    // CI runs as root (it installs the validators with apt), so there the mount must work.
    if !crate::available(
        "a tmpfs mount (needs root) for the mount-point test",
        mounted,
    ) {
        return;
    }
    let p = policy(&dir, "p", 3390);
    let first = run(rdpgen()
        .arg("build")
        .arg(&p)
        .args(["--target", "reg", "--out"])
        .arg(&mount));
    let p = policy(&dir, "p", 3391);
    let second = run(rdpgen()
        .arg("build")
        .arg(&p)
        .args(["--target", "reg", "--out"])
        .arg(&mount));
    let built = mount.join("p/reg/apply.reg").is_file();
    let _ = Command::new("umount").arg(&mount).status();
    assert_eq!(first.0, 0, "{}", first.2);
    assert_eq!(second.0, 0, "{}", second.2);
    assert!(built);
}
