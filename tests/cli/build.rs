//! `rdpgen build`: every example builds; the bytes of each back end are pinned against
//! expectations written from the format specifications (not from rdpgen's output); a failed
//! build writes nothing.

use std::path::Path;

use crate::{rdpgen, repo, run, scratch};

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_example_builds_to_every_finished_target() {
    let out = scratch("examples");
    let mut cmd = rdpgen();
    cmd.arg("build");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(repo().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            cmd.arg(&path);
            let text = std::fs::read_to_string(&path).unwrap();
            let name = text
                .lines()
                .find_map(|l| l.strip_prefix("name: "))
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
            names.push(name);
        }
    }
    let (code, stdout, stderr) = run(cmd.arg("--out").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    for name in names {
        for file in [
            "reg/apply.reg",
            "reg/rollback.reg",
            "pol/Machine/Registry.pol",
            "lgpo/machine.txt",
            "ansible/apply.yml",
            "ansible/rollback.yml",
            "intune/detect.ps1",
            "intune/remediate.ps1",
            "intune/oma-uri.json",
        ] {
            let path = out.join(&name).join(file);
            assert!(
                path.is_file(),
                "{} missing; stdout:\n{stdout}",
                path.display()
            );
            assert!(stdout.contains(&path.display().to_string()));
        }
    }
}

fn build_one(yaml: &str, extra: &[&str]) -> std::path::PathBuf {
    let dir = scratch("one");
    let policy = dir.join("p.yaml");
    std::fs::write(&policy, yaml).unwrap();
    let out = dir.join("out");
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&policy)
        .arg("--out")
        .arg(&out)
        .args(extra));
    assert_eq!(code, 0, "{stderr}");
    out
}

const TINY: &str = "rdpgen: 1\nname: tiny\nsecurity:\n  nla: true\nconnection:\n  port: 3390\n";

#[test]
fn registry_pol_bytes_follow_ms_gpreg() {
    let out = build_one(TINY, &["--target", "pol"]);
    let bytes = read(&out.join("tiny/pol/Machine/Registry.pol"));
    // Written from [MS-GPREG] 2.2.1 and formats.md §1: "PReg", version 1, then
    // [key\0;name\0;type;size;data] in UTF-16LE, keys in registry order (SOFTWARE < SYSTEM).
    let mut want = b"PReg\x01\x00\x00\x00".to_vec();
    for (key, name, data) in [
        (
            r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
            "UserAuthentication",
            1u32,
        ),
        (
            r"SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp",
            "PortNumber",
            3390u32,
        ),
    ] {
        want.extend(utf16("["));
        want.extend(utf16(key));
        want.extend([0, 0]);
        want.extend(utf16(";"));
        want.extend(utf16(name));
        want.extend([0, 0]);
        want.extend(utf16(";"));
        want.extend(4u32.to_le_bytes());
        want.extend(utf16(";"));
        want.extend(4u32.to_le_bytes());
        want.extend(utf16(";"));
        want.extend(data.to_le_bytes());
        want.extend(utf16("]"));
    }
    assert_eq!(bytes, want);
}

#[test]
fn reg_files_follow_regedit_5() {
    let out = build_one(TINY, &["--target", "reg"]);
    let apply = read(&out.join("tiny/reg/apply.reg"));
    let rollback = read(&out.join("tiny/reg/rollback.reg"));
    let text = |lines: &[&str]| {
        let mut v = vec![0xFF, 0xFE];
        v.extend(utf16(&lines.join("\r\n")));
        v
    };
    assert_eq!(
        apply,
        text(&[
            "Windows Registry Editor Version 5.00",
            "",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services]",
            "\"UserAuthentication\"=dword:00000001",
            "",
            r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp]",
            "\"PortNumber\"=dword:00000d3e",
            "",
            "",
        ])
    );
    // Rollback deletes the policy value and restores the listener's default port, and ends
    // with `;` comments (which regedit, Wine, Samba and hivex skip) saying that it restores
    // Windows defaults.
    assert_eq!(
        rollback,
        text(&[
            "Windows Registry Editor Version 5.00",
            "",
            r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services]",
            "\"UserAuthentication\"=-",
            "",
            r"[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp]",
            "\"PortNumber\"=dword:00000d3d",
            "",
            "; rdpgen rollback of apply.reg: restores Windows defaults, not what this host had before: values with a Windows default get it back, every other value apply.reg sets is deleted.",
            "; To restore a host's own values, build with `rdpgen build --rollback-from <snapshot>` (a collector snapshot or a .reg export of the host).",
            "; These local values go back to the Windows default whatever the host had (a listener on another port moves back):",
            r";   HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\PortNumber: set to REG_DWORD 3389",
            "",
        ])
    );
}

#[test]
fn lgpo_text_follows_lgpo_exe() {
    let out = build_one(TINY, &["--target", "lgpo"]);
    let bytes = read(&out.join("tiny/lgpo/machine.txt"));
    let mut want = vec![0xFF, 0xFE];
    want.extend(utf16(
        &[
            "; rdpgen policy tiny: apply with LGPO.exe /t machine.txt",
            "",
            "Computer",
            r"SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services",
            "UserAuthentication",
            "DWORD:1",
            "",
            "Computer",
            r"SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp",
            "PortNumber",
            "DWORD:3390",
            "",
        ]
        .join("\r\n"),
    ));
    assert_eq!(bytes, want);
}

#[test]
fn builds_are_byte_identical() {
    let text = std::fs::read_to_string(repo().join("examples/tier1.yaml")).unwrap();
    let a = build_one(&text, &[]);
    let b = build_one(&text, &[]);
    for file in [
        "reg/apply.reg",
        "reg/rollback.reg",
        "pol/Machine/Registry.pol",
        "lgpo/machine.txt",
    ] {
        assert_eq!(
            read(&a.join("tier1-servers").join(file)),
            read(&b.join("tier1-servers").join(file)),
            "{file}"
        );
    }
}

#[test]
fn one_invalid_policy_means_nothing_is_written() {
    let dir = scratch("atomic");
    let good = dir.join("good.yaml");
    std::fs::write(&good, TINY).unwrap();
    let out = dir.join("out");
    let (code, _, _) = run(rdpgen().arg("build").arg(&good).arg("--out").arg(&out));
    assert_eq!(code, 0);
    let before = read(&out.join("tiny/reg/apply.reg"));

    std::fs::write(&good, TINY.replace("3390", "3391")).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "rdpgen: 1\nname: bad\nsecurity:\n  layer: rdp\n  nla: true\n",
    )
    .unwrap();
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&good)
        .arg(&bad)
        .arg("--out")
        .arg(&out));
    assert_eq!(code, 1);
    assert!(stderr.contains("error[RDP030]"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        read(&out.join("tiny/reg/apply.reg")),
        before,
        "previous artifacts are untouched"
    );
    assert!(!out.join("bad").exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("rdpgen-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Policies are staged as they are compiled, chunk by chunk: an invalid policy after many valid
/// ones (more than one chunk of them) still means nothing is written, and a `--out` the build
/// created is gone again.
#[test]
fn an_invalid_policy_after_many_staged_ones_leaves_no_trace() {
    let dir = scratch("staged-then-invalid");
    let mut args = Vec::new();
    for i in 0..40 {
        let path = dir.join(format!("p{i:02}.yaml"));
        std::fs::write(
            &path,
            TINY.replace("name: tiny", &format!("name: tiny-{i:02}")),
        )
        .unwrap();
        args.push(path);
    }
    let bad = dir.join("zz-bad.yaml");
    std::fs::write(
        &bad,
        "rdpgen: 1\nname: bad\nsecurity:\n  layer: rdp\n  nla: true\n",
    )
    .unwrap();
    args.push(bad);
    let out = dir.join("new/out");
    let (code, stdout, stderr) = run(rdpgen().arg("build").args(&args).arg("--out").arg(&out));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[RDP030]"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(!dir.join("new").exists(), "the build left `--out` behind");

    // Without the invalid policy the same build writes all 40, in command-line order.
    args.pop();
    let (code, stdout, stderr) = run(rdpgen().arg("build").args(&args).arg("--out").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let policies: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{}/", out.display())))
        .filter_map(|l| l.split('/').next())
        .collect::<Vec<_>>()
        .chunk_by(|a, b| a == b)
        .map(|c| c[0])
        .collect();
    let want: Vec<String> = (0..40).map(|i| format!("tiny-{i:02}")).collect();
    assert_eq!(policies, want);
    assert!(!out.join(".rdpgen.txn").exists());
}

#[test]
fn duplicate_names_and_targets() {
    let dir = scratch("dups");
    let a = dir.join("a.yaml");
    let b = dir.join("b.yaml");
    std::fs::write(&a, TINY).unwrap();
    std::fs::write(&b, TINY).unwrap();
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(dir.join("o")));
    assert_eq!(code, 1);
    assert!(stderr.contains("two policies are named `tiny`"), "{stderr}");
    let (code, _, stderr) = run(rdpgen()
        .arg("build")
        .arg(&a)
        .args(["--target", "regg", "--out"])
        .arg(dir.join("o")));
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown target `regg`"), "{stderr}");
    assert!(!dir.join("o").exists());
}

const TARGETS: &str = "reg, pol, lgpo, gpo, admx, dsc, dsc3, ansible, intune, osquery, all";

/// `--target` is a clap value enum: an unknown name is a usage error that lists every valid
/// one, and `--help` and the man page list them too; names are read in any case, with blanks
/// around the commas, and `all` means every target.
#[test]
fn targets_are_a_closed_list_shown_in_errors_help_and_the_man_page() {
    let dir = scratch("targets");
    let (code, _, stderr) = run(rdpgen()
        .args(["build", "examples/tier1.yaml", "--target", "nope", "--out"])
        .arg(dir.join("o")));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("unknown target `nope`; targets: {TARGETS}")),
        "{stderr}"
    );
    assert!(!dir.join("o").exists());
    let (_, help, _) = run(rdpgen().args(["build", "--help"]));
    assert!(
        help.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains(&format!("[possible values: {TARGETS}]")),
        "{help}"
    );
    let (_, man, _) = run(rdpgen().arg("man"));
    let at = man
        .find(r"\fB\-\-target\fR \fI<TARGET>\fR")
        .expect("--target in the man page's options");
    let section = &man[at..];
    let section = &section[..section[1..].find(".TP").map_or(section.len(), |e| e + 1)];
    for name in TARGETS.split(", ") {
        assert!(
            section.contains(&format!(".IP \\(bu 2\n{name}\n")),
            "{name} in {section}"
        );
    }
    let (code, _, stderr) = run(rdpgen()
        .args([
            "build",
            "examples/tier1.yaml",
            "--target",
            "REG, pol",
            "--out",
        ])
        .arg(dir.join("o")));
    assert_eq!(code, 0, "{stderr}");
    let mut built: Vec<_> = std::fs::read_dir(dir.join("o/tier1-servers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.starts_with('.'))
        .collect();
    built.sort();
    assert_eq!(built, ["pol", "reg"]);
    let listing = |out: &str, target: Option<&str>| {
        let mut cmd = rdpgen();
        cmd.args(["build", "examples/tier1.yaml", "--out"])
            .arg(dir.join(out));
        if let Some(target) = target {
            cmd.args(["--target", target]);
        }
        let (code, _, stderr) = run(&mut cmd);
        assert_eq!(code, 0, "{stderr}");
        let mut names: Vec<_> = std::fs::read_dir(dir.join(out).join("tier1-servers"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let default = listing("default", None);
    assert!(default.len() >= 10, "{default:?}");
    assert_eq!(listing("all", Some("reg,all")), default);
}

/// Every file under `dir`, recursively, sorted.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Text of an artifact: UTF-16LE with a byte-order mark, or UTF-8.
fn artifact_text(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(rest) => String::from_utf16_lossy(
            &rest
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        ),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[test]
fn no_artifact_and_no_collector_output_holds_an_unrendered_template_token() {
    let out = scratch("tokens");
    let mut cmd = rdpgen();
    cmd.arg("build");
    for e in ["tier1", "dmz-jump", "workgroup", "break-glass-0x904"] {
        cmd.arg(format!("examples/{e}.yaml"));
    }
    let (code, _, stderr) = run(cmd.arg("--out").arg(&out));
    assert_eq!(code, 0, "{stderr}");
    let files = files_under(&out);
    assert!(files.len() > 40, "{} files", files.len());
    let (code, collector, _) = run(rdpgen().arg("collector"));
    assert_eq!(code, 0);
    let mut texts: Vec<(String, String)> = files
        .iter()
        .map(|f| (f.display().to_string(), artifact_text(&read(f))))
        .collect();
    texts.push(("collector".into(), collector));
    for (name, text) in texts {
        // Handlebars tokens, and `\{{` (which Handlebars treats as an escape) left verbatim.
        for token in ["{{", "}}"] {
            assert!(!text.contains(token), "{name} holds `{token}`");
        }
    }
}
