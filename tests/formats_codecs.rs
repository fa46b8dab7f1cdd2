//! Integration tests of the `formats` codecs through the public API: property round trips
//! (write → read gives the same model) for Registry.pol and `.reg`, a malformed-input corpus
//! that must give clear errors and never panic, Microsoft's baseline Registry.pol files (read,
//! re-written byte for byte, in Windows order), and golden sample files in
//! `tests/fixtures/formats/` that `.ci/conformance-formats.sh` feeds to Samba, Wine and hivex.
//!
//! `UPDATE_SNAPSHOTS=1` rewrites the golden files (`tests/support/mod.rs`); `RDPGEN_FORMATS_SAMPLES=DIR` makes
//! `export_random_samples` write deterministic random `.reg`/`.pol` files into DIR for the
//! conformance script.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rdpgen::formats::lgpo_text::{self, LgpoAction, LgpoEntry};
use rdpgen::formats::reg_file::{
    self, RegFile, RegFileAction, RegFileValue, RegReadProblem, RegSection,
};
use rdpgen::formats::registry_pol::{self, PolEntry, PolReadProblem};
use rdpgen::formats::registry_value::{Hive, RegistryValue, is_modelled_kind};

#[path = "support/mod.rs"]
mod support;

// ---------------------------------------------------------------------------------------------
// Strategies

/// A Registry.pol key path: 1–5 components of printable ASCII without `\`, no hive.
fn pol_key() -> impl Strategy<Value = String> {
    prop::collection::vec("[ -\\[\\]-~]{1,24}", 1..6)
        .prop_map(|components| components.join("\\"))
        .prop_filter("no hive", |key| {
            let root = key
                .split('\\')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            !matches!(root.as_str(), "HKLM" | "HKCU" | "HKCR" | "HKU" | "HKCC")
                && !root.starts_with("HKEY_")
        })
}

/// A value name without control characters.
fn value_name(min: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>().prop_filter("no control characters", |c| !c.is_control()),
            Just('"'),
            Just('\\'),
            Just('='),
            Just(']'),
        ],
        min..24,
    )
    .prop_map(String::from_iter)
}

/// Which writer a generated value is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    /// Registry.pol: no NUL in `REG_SZ`/`REG_EXPAND_SZ`, `REG_NONE` without data.
    Pol,
    /// `.reg`: anything the model can hold.
    Reg,
    /// `.reg` for the third-party validators, avoiding their known limitations: no
    /// `HKEY_CURRENT_CONFIG` (Samba has no such hive), no NUL in strings (flagged by their
    /// lint), no CR/LF in `REG_SZ` (`reg-import-check.py` misreads Samba's and Wine's exports
    /// of such strings).
    RegForValidators,
}

fn text(flavour: Flavour, line_breaks: bool) -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            Just('\0'),
            Just('\r'),
            Just('\n'),
            Just('"'),
            Just('\\'),
            Just('\t')
        ],
        0..24,
    )
    .prop_map(move |chars| {
        chars
            .into_iter()
            .filter(|&c| match flavour {
                Flavour::Reg => true,
                Flavour::Pol => c != '\0',
                Flavour::RegForValidators => {
                    c != '\0' && (line_breaks || !matches!(c, '\r' | '\n'))
                }
            })
            .collect::<String>()
    })
    .boxed()
}

/// Every kind of value, as far as `flavour` allows.
fn registry_value(flavour: Flavour) -> impl Strategy<Value = RegistryValue> {
    let none_len = if flavour == Flavour::Pol { 0..1 } else { 0..16 };
    let item = prop::collection::vec(any::<char>().prop_filter("no NUL", |c| *c != '\0'), 1..12)
        .prop_map(String::from_iter);
    prop_oneof![
        prop::collection::vec(any::<u8>(), none_len).prop_map(RegistryValue::None),
        text(flavour, false).prop_map(RegistryValue::Sz),
        text(flavour, true).prop_map(RegistryValue::ExpandSz),
        prop::collection::vec(any::<u8>(), 0..200).prop_map(RegistryValue::Binary),
        any::<u32>().prop_map(RegistryValue::Dword),
        any::<u32>().prop_map(RegistryValue::DwordBigEndian),
        prop::collection::vec(item, 0..5).prop_map(RegistryValue::MultiSz),
        any::<u64>().prop_map(RegistryValue::Qword),
        (
            any::<u32>().prop_filter("unmodelled type", |k| !is_modelled_kind(*k)),
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(kind, data)| RegistryValue::Other { kind, data }),
    ]
}

fn pol_entry() -> impl Strategy<Value = PolEntry> {
    (pol_key(), value_name(0), registry_value(Flavour::Pol))
        .prop_map(|(key, name, value)| PolEntry::new(key, name, value))
}

const ROOTS: [&str; 5] = [
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
];

/// A `.reg` key path: a root spelled out, then 1–4 components of any character except `\`,
/// `]` and control characters, not ending with whitespace.
fn reg_path(flavour: Flavour) -> impl Strategy<Value = String> {
    let component = prop::collection::vec(
        prop_oneof![
            any::<char>().prop_filter("key character", |c| !c.is_control()
                && *c != '\\'
                && *c != ']'),
            Just('['),
            Just(' '),
            Just('"'),
        ],
        1..16,
    )
    .prop_map(String::from_iter);
    let roots = if flavour == Flavour::RegForValidators {
        &ROOTS[..4]
    } else {
        &ROOTS[..]
    };
    (
        prop::sample::select(roots),
        prop::collection::vec(component, 1..5),
    )
        .prop_map(|(root, components)| format!("{root}\\{}", components.join("\\")))
        .prop_filter("no trailing whitespace", |path| {
            !path.ends_with(char::is_whitespace)
        })
}

fn reg_value(flavour: Flavour) -> impl Strategy<Value = RegFileValue> {
    (
        prop::option::of(value_name(1)),
        prop_oneof![
            4 => registry_value(flavour).prop_map(RegFileAction::Set),
            1 => Just(RegFileAction::Delete),
        ],
    )
        .prop_map(|(name, action)| RegFileValue { name, action })
}

fn reg_file(flavour: Flavour) -> impl Strategy<Value = RegFile> {
    let section = prop_oneof![
        4 => (reg_path(flavour), prop::collection::vec(reg_value(flavour), 0..6))
            .prop_map(|(path, values)| RegSection::Key { path, values }),
        1 => reg_path(flavour).prop_map(|path| RegSection::DeleteKey { path }),
    ];
    prop::collection::vec(section, 0..5)
        .prop_map(|sections| RegFile { sections })
        .prop_filter("validators can follow it", move |file| {
            flavour != Flavour::RegForValidators || no_delete_after_set(file)
        })
}

/// `hivexregedit --merge` ignores `"name"=-` and `[-key]` for what the same file set before;
/// Samba and Wine apply them. Files for the validators avoid that (case-insensitively).
fn no_delete_after_set(file: &RegFile) -> bool {
    let mut set_values = std::collections::HashSet::new();
    let mut keys: Vec<String> = Vec::new();
    for section in &file.sections {
        match section {
            RegSection::Key { path, values } => {
                let path = path.to_uppercase();
                for value in values {
                    let name = (path.clone(), value.name.as_ref().map(|n| n.to_uppercase()));
                    if value.action == RegFileAction::Delete && set_values.contains(&name) {
                        return false;
                    }
                    set_values.insert(name);
                }
                keys.push(path);
            }
            RegSection::DeleteKey { path } => {
                let path = path.to_uppercase();
                if keys
                    .iter()
                    .any(|k| k == &path || k.starts_with(&format!("{path}\\")))
                {
                    return false;
                }
            }
        }
    }
    true
}

/// Whether every record `read_view` accepts also decodes with `RegistryValue::from_bytes`:
/// the view checks data with `check_bytes`, and a record it let through that `from_bytes`
/// refuses would reach `PolRecord::value`'s fallback instead of an error.
fn view_data_decodes(bytes: &[u8]) -> bool {
    match registry_pol::read_view(bytes) {
        Ok(view) => view
            .iter()
            .all(|r| RegistryValue::from_bytes(r.kind, r.data).is_ok()),
        Err(_) => true,
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn pol_round_trips(entries in prop::collection::vec(pol_entry(), 0..12)) {
        let bytes = registry_pol::write(&entries).expect("generated entries are valid");
        prop_assert_eq!(registry_pol::read(&bytes).expect("own output reads back"), entries.clone());
        let view = registry_pol::read_view(&bytes).expect("own output reads back");
        prop_assert_eq!(view.len(), entries.len());
        for (record, entry) in view.iter().zip(&entries) {
            prop_assert_eq!(record.key, &entry.key);
            prop_assert_eq!(record.value_name, &entry.value_name);
            prop_assert_eq!(record.kind, entry.value.kind());
            prop_assert_eq!(record.data, &entry.value.to_bytes()[..]);
            prop_assert_eq!(&record.value(), &entry.value);
        }
    }

    #[test]
    fn pol_sort_is_a_stable_idempotent_permutation(mut entries in prop::collection::vec(pol_entry(), 0..12)) {
        let mut before = entries.clone();
        registry_pol::sort_for_windows(&mut entries);
        let once = entries.clone();
        registry_pol::sort_for_windows(&mut entries);
        prop_assert_eq!(&once, &entries);
        for pair in entries.windows(2) {
            prop_assert!(registry_pol::compare_keys(&pair[0].key, &pair[1].key).is_le());
        }
        let key = |e: &PolEntry| format!("{}|{}|{:?}", e.key, e.value_name, e.value);
        before.sort_by_key(key);
        let mut after = entries;
        after.sort_by_key(key);
        prop_assert_eq!(before, after);
    }

    #[test]
    fn reg_round_trips(file in reg_file(Flavour::Reg)) {
        let bytes = reg_file::write(&file).expect("generated model is valid");
        prop_assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
        prop_assert_eq!(reg_file::read(&bytes).expect("own output reads back"), file);
    }

    #[test]
    fn reg_lines_stay_short_and_untrusted_text_never_opens_a_line(file in reg_file(Flavour::Reg)) {
        let text = reg_file::write_text(&file).expect("generated model is valid");
        let mut keys = 0;
        for line in text.split("\r\n") {
            prop_assert!(!line.contains(['\r', '\n']));
            if line.starts_with('[') {
                keys += 1;
            }
            if line.starts_with("  ") {
                prop_assert!(line.encode_utf16().count() <= 78, "continuation line too long: {}", line);
            }
        }
        prop_assert_eq!(keys, file.sections.len());
    }

    #[test]
    fn pol_reader_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(view_data_decodes(&bytes));
        let with_header = [&b"PReg\x01\0\0\0"[..], &bytes].concat();
        prop_assert!(view_data_decodes(&with_header));
        if let Err(error) = registry_pol::read(&with_header) {
            prop_assert!(error.offset >= 8 && error.offset <= with_header.len());
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn pol_reader_never_panics_on_mutations(
        entries in prop::collection::vec(pol_entry(), 1..4),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = registry_pol::write(&entries).expect("valid");
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        prop_assert!(view_data_decodes(&bytes));
        if let Err(error) = registry_pol::read(&bytes) {
            prop_assert!(error.offset <= bytes.len());
        }
    }

    #[test]
    fn reg_reader_never_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = reg_file::read(&bytes);
        let _ = reg_file::read(&[&[0xFF, 0xFE][..], &bytes].concat());
    }

    #[test]
    fn reg_reader_never_panics_on_random_text(
        lines in prop::collection::vec(
            prop_oneof![
                "\\PC{0,30}",
                "\\[[A-Za-z_\\\\]{0,30}\\]?",
                "[\"@][ -~]{0,30}",
                "\"[a-z]{0,3}\"=(dword|hex|hex\\([0-9a-z]{0,3}\\))?:?[0-9a-fA-F, \\\\]{0,30}",
            ],
            0..12,
        ),
        crlf in any::<bool>(),
    ) {
        let text = format!("Windows Registry Editor Version 5.00\n{}", lines.join(if crlf { "\r\n" } else { "\n" }));
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        if let Err(error) = reg_file::read(&bytes) {
            prop_assert!(error.line >= 1 && error.line <= lines.len() + 2);
            prop_assert!(error.column >= 1);
        }
        let _ = reg_file::read(text.as_bytes());
    }

    #[test]
    fn reg_reader_never_panics_on_mutations(
        file in reg_file(Flavour::Reg),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = reg_file::write(&file).expect("valid");
        for (at, byte) in edits {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = reg_file::read(&bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed-input corpus

fn utf16_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

fn sample_pol_bytes() -> Vec<u8> {
    registry_pol::write(&sample_pol()).expect("valid sample")
}

#[test]
fn pol_corpus_gives_clear_errors() {
    let good = sample_pol_bytes();
    // Every truncation of a valid file is an error, except at a record boundary, where it is
    // the valid file of the records before the cut.
    let entries = registry_pol::read(&good).expect("valid");
    let mut boundaries = 0;
    for cut in 0..good.len() {
        match registry_pol::read(&good[..cut]) {
            Ok(prefix) => {
                assert_eq!(prefix[..], entries[..prefix.len()], "cut {cut}");
                assert_eq!(registry_pol::write(&prefix).expect("valid"), &good[..cut]);
                boundaries += 1;
            }
            Err(error) => assert!(error.offset <= cut, "cut {cut}: {error}"),
        }
    }
    assert_eq!(boundaries, entries.len());
    // A lying size field in every record: larger than the file, and the maximum.
    let mut at = 8;
    for entry in &entries {
        let record = registry_pol::write(std::slice::from_ref(entry)).expect("valid");
        let record = &record[8..];
        // The size field sits right after `[key\0;name\0;type;`.
        let size_at = at
            + 2
            + 2 * (entry.key.encode_utf16().count() + 1)
            + 2
            + 2 * (entry.value_name.encode_utf16().count() + 1)
            + 2
            + 4
            + 2;
        for lie in [u32::try_from(good.len()).expect("small"), 0xFFFF, u32::MAX] {
            let mut bad = good.clone();
            bad[size_at..size_at + 4].copy_from_slice(&lie.to_le_bytes());
            let error = registry_pol::read(&bad).expect_err("lying size");
            assert_eq!(error.offset, size_at);
            assert!(
                matches!(
                    error.problem,
                    PolReadProblem::SizeBeyondEnd { .. } | PolReadProblem::SizeOverLimit { .. }
                ),
                "{error}"
            );
        }
        at += record.len();
    }
    // Odd-length UTF-16: a key that runs into the end of the file on an odd byte.
    let odd = [&b"PReg\x01\0\0\0[\0A\0B"[..]].concat();
    assert_eq!(
        registry_pol::read(&odd).expect_err("odd").problem,
        PolReadProblem::UnterminatedString {
            field: registry_pol::PolField::Key
        }
    );
    // Bad signature and version.
    assert!(matches!(
        registry_pol::read(b"PREG\x01\0\0\0")
            .expect_err("sig")
            .problem,
        PolReadProblem::BadSignature { .. }
    ));
    assert!(matches!(
        registry_pol::read(b"PReg\0\0\0\0")
            .expect_err("ver")
            .problem,
        PolReadProblem::BadVersion { found: 0 }
    ));
}

#[test]
fn reg_corpus_gives_clear_errors() {
    let good = reg_file::write(&sample_reg()).expect("valid sample");
    // Cutting the UTF-16 in half a code unit is always an error, with a position.
    for cut in (3..good.len()).step_by(2) {
        let error = reg_file::read(&good[..cut]).expect_err("odd length");
        assert_eq!(error.problem, RegReadProblem::TruncatedUtf16);
    }
    let corpus: [(&[u8], RegReadProblem); 6] = [
        (
            b"",
            RegReadProblem::MissingHeader {
                found: String::new(),
            },
        ),
        (
            b"[HKEY_LOCAL_MACHINE\\X]\r\n",
            RegReadProblem::MissingHeader {
                found: "[HKEY_LOCAL_MACHINE\\X]".into(),
            },
        ),
        (&[0xFE, 0xFF, 0, b'W'], RegReadProblem::Utf16BigEndian),
        (b"W\0i\0n\0", RegReadProblem::Utf16WithoutBom),
        (
            b"REGEDIT4\r\n[HKEY_USERS\\K]\r\n\"a\"=hex:0x\r\n",
            RegReadProblem::BadHexDigit {
                found: "`x`".into(),
            },
        ),
        (
            b"REGEDIT4\r\n\"a\"=hex:00\r\n",
            RegReadProblem::ValueBeforeKey,
        ),
    ];
    for (bytes, problem) in corpus {
        assert_eq!(
            reg_file::read(bytes).expect_err("malformed").problem,
            problem
        );
    }
    let error = reg_file::read(&utf16_bom(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_USERS\\K]\r\n\"a\"=hex(2):41,00,0\r\n",
    ))
    .expect_err("odd hex(2)");
    assert_eq!((error.line, error.column), (4, 19));
    assert_eq!(
        error.to_string(),
        ".reg line 4, column 19: bad hex digit: expected two hex digits, found the end of the line"
    );
}

/// Inputs that would take quadratic time in a naive parser finish quickly.
#[test]
fn readers_are_linear() {
    // 100 000 records with a 1-character key.
    let entries: Vec<PolEntry> = (0..100_000)
        .map(|i| PolEntry::new("K", "", RegistryValue::Dword(i)))
        .collect();
    let pol = registry_pol::write(&entries).expect("valid");
    let started = Instant::now();
    assert_eq!(
        registry_pol::read(&pol).expect("valid").len(),
        entries.len()
    );
    // One key path of 1 MB without a terminator.
    let mut open = b"PReg\x01\0\0\0[\0".to_vec();
    open.extend(std::iter::repeat_n([b'A', 0], 500_000).flatten());
    assert!(registry_pol::read(&open).is_err());
    // 200 000 continuation lines of hex data, and one 600 kB line.
    let mut text =
        String::from("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_USERS\\K]\r\n\"a\"=hex:00");
    for _ in 0..200_000 {
        text.push_str(",\\\r\n  01");
    }
    text.push_str("\r\n\"b\"=hex:");
    text.push_str(&"02,".repeat(200_000));
    text.push_str("03\r\n");
    let file = reg_file::read(&utf16_bom(&text)).expect("valid");
    assert_eq!(file.sections.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Microsoft's baseline Registry.pol files

fn baseline_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/baseline-gpos")
}

fn find_registry_pols(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    children.sort();
    for path in children {
        if path.is_dir() {
            find_registry_pols(&path, found);
        } else if path
            .file_name()
            .is_some_and(|n| n.eq_ignore_ascii_case("registry.pol"))
        {
            found.push(path);
        }
    }
}

#[test]
fn microsoft_baseline_pols_read_and_rewrite_identically() {
    let dir = baseline_dir();
    if !support::available(
        &format!("Microsoft's baseline GPOs ({})", dir.display()),
        dir.is_dir(),
    ) {
        return;
    }
    let mut files = Vec::new();
    find_registry_pols(&dir, &mut files);
    assert!(!files.is_empty(), "no registry.pol under {}", dir.display());
    let mut total = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("readable file");
        let entries =
            registry_pol::read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            registry_pol::write(&entries).expect("re-serialises"),
            bytes,
            "{}",
            path.display()
        );
        // Windows wrote them in the order `sort_for_windows` defines.
        let mut sorted = entries.clone();
        registry_pol::sort_for_windows(&mut sorted);
        assert_eq!(
            sorted,
            entries,
            "{} is not in sort_for_windows order",
            path.display()
        );
        total += entries.len();
    }
    eprintln!(
        "baseline: {} registry.pol files, {total} entries read and re-written identically",
        files.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Golden samples (also the input of .ci/conformance-formats.sh)

const TS: &str = "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services";

fn sample_pol() -> Vec<PolEntry> {
    let mut entries = vec![
        PolEntry::new(TS, "fDisableCdm", RegistryValue::Dword(1)),
        PolEntry::new(TS, "UserAuthentication", RegistryValue::Dword(1)),
        PolEntry::new(TS, "SecurityLayer", RegistryValue::Dword(2)),
        PolEntry::delete_value(TS, "fPromptForPassword"),
        PolEntry::new(
            TS,
            "SSLCipherSuites",
            RegistryValue::Sz("TLS_AES_256_GCM_SHA384,\"quoted\" \\ path".into()),
        ),
        PolEntry::new(
            TS,
            "WallpaperPath",
            RegistryValue::ExpandSz("%SystemRoot%\\Web\\Wallpaper\\é€.jpg".into()),
        ),
        PolEntry::new(TS, "MaxIdleTime", RegistryValue::Qword(900_000)),
        PolEntry::new(TS, "Blob", RegistryValue::Binary((0..=40).collect())),
        PolEntry::new(TS, "BigEndian", RegistryValue::DwordBigEndian(0x0102_0304)),
        PolEntry::delete_all_values(format!("{TS}\\RAUnsolicit")),
        PolEntry::new(
            format!("{TS}\\RAUnsolicit"),
            "Helpers",
            RegistryValue::MultiSz(vec!["CONTOSO\\Helpdesk".into(), "Ünïcode".into()]),
        ),
        PolEntry::new(
            format!("{TS}\\Empty"),
            "List",
            RegistryValue::MultiSz(vec![]),
        ),
        PolEntry::create_key("SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service"),
        PolEntry::new(
            "SYSTEM\\CurrentControlSet\\Services\\Tcpip6\\Parameters",
            "DisabledComponents",
            RegistryValue::Dword(0x20),
        ),
        PolEntry::new(
            "SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters",
            "EnableICMPRedirect",
            RegistryValue::Dword(0),
        ),
    ];
    registry_pol::sort_for_windows(&mut entries);
    entries
}

fn sample_reg() -> RegFile {
    let hklm = |path: &str| format!("HKEY_LOCAL_MACHINE\\{path}");
    RegFile {
        sections: vec![
            RegSection::Key {
                path: hklm(TS),
                values: vec![
                    RegFileValue::set("UserAuthentication", RegistryValue::Dword(1)),
                    RegFileValue::set("SecurityLayer", RegistryValue::Dword(2)),
                    RegFileValue::delete("fPromptForPassword"),
                    RegFileValue::set(
                        "SSLCipherSuites",
                        RegistryValue::Sz("TLS_AES_256_GCM_SHA384,\"quoted\" \\ path\\".into()),
                    ),
                    // A tab makes it `hex(1)`; CR/LF would too, but the validators' own export
                    // parsers cannot read such values back (see `hostile_text_stays_in_its_value`).
                    RegFileValue::set(
                        "Injected",
                        RegistryValue::Sz("x\"\t]\t[HKEY_LOCAL_MACHINE\\Evil]".into()),
                    ),
                    RegFileValue::set(
                        "WallpaperPath",
                        RegistryValue::ExpandSz("%SystemRoot%\\Web\\Wallpaper\\é€ 😀.jpg".into()),
                    ),
                    RegFileValue::set(
                        "Helpers",
                        RegistryValue::MultiSz(vec!["CONTOSO\\Helpdesk".into(), "Ünïcode".into()]),
                    ),
                    RegFileValue::set("NoHelpers", RegistryValue::MultiSz(vec![])),
                    RegFileValue::set("Blob", RegistryValue::Binary((0..=99).collect())),
                    RegFileValue::set("MaxIdleTime", RegistryValue::Qword(900_000)),
                    RegFileValue::set("BigEndian", RegistryValue::DwordBigEndian(0x0102_0304)),
                    RegFileValue::set("Nothing", RegistryValue::None(vec![])),
                    RegFileValue::set(
                        "Name with \"quotes\" and \\ and é",
                        RegistryValue::Sz(String::new()),
                    ),
                    RegFileValue {
                        name: None,
                        action: RegFileAction::Set(RegistryValue::Sz("default".into())),
                    },
                ],
            },
            RegSection::Key {
                path: hklm("SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client"),
                values: vec![RegFileValue::set(
                    "fClientDisableUDP",
                    RegistryValue::Dword(1),
                )],
            },
            RegSection::DeleteKey {
                path: hklm("SOFTWARE\\rdpgen-conformance\\Obsolete"),
            },
            RegSection::Key {
                path: "HKEY_CURRENT_USER\\Software\\rdpgen-conformance".into(),
                values: vec![RegFileValue::set(
                    "Marker",
                    RegistryValue::Dword(0xDEAD_BEEF),
                )],
            },
        ],
    }
}

fn sample_lgpo() -> Vec<LgpoEntry> {
    let set = |name: &str, value: RegistryValue| LgpoEntry {
        hive: Hive::LocalMachine,
        key: TS.to_owned(),
        value_name: name.to_owned(),
        action: LgpoAction::Set(value),
    };
    vec![
        set("UserAuthentication", RegistryValue::Dword(1)),
        set("SecurityLayer", RegistryValue::Dword(2)),
        LgpoEntry {
            action: LgpoAction::Delete,
            ..set("fPromptForPassword", RegistryValue::Dword(0))
        },
        set(
            "WallpaperPath",
            RegistryValue::ExpandSz("%SystemRoot%\\Web\\Wallpaper\\new.jpg".into()),
        ),
        set(
            "Helpers",
            RegistryValue::MultiSz(vec!["CONTOSO\\Helpdesk".into(), "Admins".into()]),
        ),
        set("Blob", RegistryValue::Binary(vec![0, 0xFF, 1])),
        set("MaxIdleTime", RegistryValue::Qword(900_000)),
        LgpoEntry {
            key: format!("{TS}\\RAUnsolicit"),
            action: LgpoAction::DeleteAllValues,
            ..set("", RegistryValue::Dword(0))
        },
        LgpoEntry {
            hive: Hive::CurrentUser,
            key: "Software\\Policies\\Microsoft\\Windows NT\\Terminal Services".into(),
            action: LgpoAction::CreateKey,
            ..set("", RegistryValue::Dword(0))
        },
    ]
}

/// Compares `bytes` with the golden file in `tests/fixtures/formats/` (`UPDATE_SNAPSHOTS=1`
/// rewrites it).
fn golden(name: &str, bytes: &[u8]) {
    support::assert_snapshot(&format!("tests/fixtures/formats/{name}"), bytes);
}

#[test]
fn golden_samples() {
    let pol = sample_pol_bytes();
    golden("Machine/registry.pol", &pol);
    assert_eq!(registry_pol::read(&pol).expect("reads back"), sample_pol());

    let reg = reg_file::write(&sample_reg()).expect("valid sample");
    golden("rdp-sample.reg", &reg);
    assert_eq!(reg_file::read(&reg).expect("reads back"), sample_reg());
    assert!(
        reg_file::write_text(&sample_reg())
            .expect("valid")
            .contains("\"Injected\"=hex(1):78,00,22,00,09,00,5d,00,")
    );

    let lgpo = lgpo_text::write_with_header(&["rdpgen conformance sample"], &sample_lgpo())
        .expect("valid sample");
    golden("rdp-sample.lgpo.txt", &lgpo_text::encode_unicode(&lgpo));
}

/// A `REG_SZ` crafted to close its value and open a new key is written as `hex(1)` and reads back
/// as one value. (Checked by hand with Samba, Wine and hivex: each stores one `REG_SZ` and no
/// `Evil` key; `reg-import-check.sh` cannot cross-check it because it misreads the engines'
/// exports of strings with CR/LF.)
#[test]
fn hostile_text_stays_in_its_value() {
    let hostile = "x\"\r\n[HKEY_LOCAL_MACHINE\\Evil]\r\n\"Owned\"=dword:00000001";
    let file = RegFile {
        sections: vec![RegSection::Key {
            path: "HKEY_LOCAL_MACHINE\\SOFTWARE\\K".into(),
            values: vec![RegFileValue::set(
                "Injected",
                RegistryValue::Sz(hostile.into()),
            )],
        }],
    };
    let text = reg_file::write_text(&file).expect("valid");
    assert_eq!(text.matches("\r\n[").count(), 1, "{text}");
    assert!(text.contains("\"Injected\"=hex(1):78,00,22,00,0d,00,0a,00,5b,00,"));
    assert_eq!(
        reg_file::read(&reg_file::write(&file).expect("valid")).expect("reads back"),
        file
    );
}

// ---------------------------------------------------------------------------------------------
// Random samples for the third-party validators

/// With `RDPGEN_FORMATS_SAMPLES=DIR`, writes 12 (or `RDPGEN_FORMATS_SAMPLES_COUNT`)
/// deterministic random `.reg` files and as many `.pol` files into DIR for `.ci/conformance-formats.sh DIR` (see [`Flavour::RegForValidators`]).
#[test]
fn export_random_samples() {
    let Some(dir) = std::env::var_os("RDPGEN_FORMATS_SAMPLES") else {
        return;
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("sample directory");
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let reg_strategy = reg_file(Flavour::RegForValidators)
        .prop_filter("at least one key", |f| !f.sections.is_empty());
    let pol_strategy = prop::collection::vec(pol_entry(), 1..12);
    let count = std::env::var("RDPGEN_FORMATS_SAMPLES_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12_usize);
    for index in 0..count {
        let file = reg_strategy
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        std::fs::write(
            dir.join(format!("random-{index:02}.reg")),
            reg_file::write(&file).expect("valid"),
        )
        .expect("write sample");
        let entries = pol_strategy
            .new_tree(&mut runner)
            .expect("strategy")
            .current();
        let bytes = registry_pol::write(&entries).expect("valid");
        std::fs::write(dir.join(format!("random-{index:02}.pol")), bytes).expect("write sample");
    }
}
