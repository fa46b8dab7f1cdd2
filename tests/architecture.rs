//! The module boundaries ARCHITECTURE.md states, checked on the source: which top-level
//! modules of `src/` each module's non-test code may name through `crate::`. Test code
//! (`#[cfg(test)] mod ...` blocks and files) may reach anywhere: it builds models from
//! policies to test a back end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every top-level module of the library.
const ALL: &[&str] = &[
    "audit",
    "catalog",
    "cli",
    "commands",
    "compile",
    "diagnostic",
    "emit",
    "escape",
    "exit_status",
    "explain",
    "firewall_address",
    "formats",
    "fsread",
    "import",
    "lower",
    "model",
    "policy",
    "reference_material",
    "source",
    "validate",
];

/// Above the model: the YAML surface and the steps that read it. Nothing below lowering may
/// name them.
const SURFACE: &[&str] = &[
    "policy", "validate", "lower", "compile", "import", "commands", "cli", "explain",
];

/// (module, modules it must not name, why).
fn rules() -> Vec<(&'static str, BTreeSet<&'static str>, &'static str)> {
    let all_but = |keep: &[&str]| -> BTreeSet<&'static str> {
        ALL.iter().copied().filter(|m| !keep.contains(m)).collect()
    };
    let with = |extra: &[&'static str]| -> BTreeSet<&'static str> {
        SURFACE.iter().chain(extra).copied().collect()
    };
    vec![
        (
            "formats",
            all_but(&["formats"]),
            "codecs know no RDP: no catalog, model or policy",
        ),
        (
            "escape",
            all_but(&["escape", "formats"]),
            "escapers are pure text functions (they share formats' text classes)",
        ),
        (
            "firewall_address",
            all_but(&["firewall_address"]),
            "an address parser knows nothing else",
        ),
        (
            "catalog",
            with(&["emit", "audit"]),
            "the catalog is data below every consumer",
        ),
        (
            "model",
            with(&["emit", "audit"]),
            "the model is what back ends and the audit read",
        ),
        (
            "emit",
            with(&["audit"]),
            "back ends import neither commands nor audit, and no YAML-surface type",
        ),
        (
            "audit",
            with(&["emit"]),
            "the audit reads the model and host state, never the surface or a back end",
        ),
        (
            "diagnostic",
            with(&["emit", "audit"]),
            "diagnostics are rendered, not computed, here",
        ),
    ]
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of a top-level module (`src/<m>.rs` and everything under `src/<m>/`), without
/// the files its parents declare as `#[cfg(test)] mod x;`.
fn module_files(module: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let dir = src().join(module);
    if dir.is_dir() {
        files(&dir, &mut out);
    }
    let test_only: BTreeSet<PathBuf> = out
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("readable source");
            let parent = if f.file_name().is_some_and(|n| n == "mod.rs") {
                f.parent().expect("a parent").to_path_buf()
            } else {
                f.with_extension("")
            };
            let lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
            lines
                .windows(2)
                .filter(|w| {
                    w[0] == "#[cfg(test)]" && w[1].starts_with("mod ") && w[1].ends_with(';')
                })
                .map(|w| {
                    let name = w[1].trim_start_matches("mod ").trim_end_matches(';');
                    parent.join(format!("{name}.rs"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    out.retain(|f| !test_only.contains(f));
    assert!(!out.is_empty(), "module {module} has no source");
    out
}

/// The source without comments and without `#[cfg(test)] mod name { ... }` blocks.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim().starts_with("mod ") && next.trim().ends_with('{'))
        {
            // Skip to the block's closing brace, counting braces.
            let mut depth = 0i32;
            for inner in lines.by_ref() {
                depth += inner.matches('{').count() as i32 - inner.matches('}').count() as i32;
                if depth <= 0 && inner.contains('}') {
                    break;
                }
            }
            continue;
        }
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level modules named through `crate::` (including `use crate::{a, b::c}` groups).
fn named_modules(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out.remove("self");
    out
}

#[test]
fn module_boundaries_hold() {
    let mut violations = Vec::new();
    let mut seen = 0;
    for (module, forbidden, why) in rules() {
        for file in module_files(module) {
            let text = std::fs::read_to_string(&file).expect("readable source");
            for named in named_modules(&non_test_code(&text)) {
                assert!(
                    ALL.contains(&named.as_str()),
                    "{}: `crate::{named}` is not a module this test knows; add it to ALL",
                    file.display()
                );
                seen += 1;
                if forbidden.contains(named.as_str()) {
                    violations.push(format!(
                        "{}: names `crate::{named}`, but {module} must not ({why})",
                        file.strip_prefix(src()).unwrap_or(&file).display()
                    ));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "module boundaries (ARCHITECTURE.md) broken:\n{}",
        violations.join("\n")
    );
    // The scan finds what it looks for: the modules name each other hundreds of times.
    assert!(seen > 50, "only {seen} crate:: references found");
}

#[test]
fn every_top_level_module_is_known() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            ["pub mod ", "pub(crate) mod ", "mod "]
                .iter()
                .find_map(|p| l.strip_prefix(p))
        })
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let known: BTreeSet<&str> = ALL.iter().copied().collect();
    assert_eq!(declared, known, "src/lib.rs and ALL disagree");
}

#[test]
fn the_scanner_sees_groups_nested_paths_and_skips_tests_and_comments() {
    let code = non_test_code(
        "use crate::{audit::x, model::{A, B}, formats};\n\
         // crate::policy in a comment\n\
         fn f() { crate::emit::go(); }\n\
         #[cfg(test)]\n\
         mod tests {\n    use crate::commands;\n    fn g() { if true { } }\n}\n\
         fn h() { crate::escape::q(); }\n",
    );
    let named = named_modules(&code);
    let expected: BTreeSet<String> = ["audit", "model", "formats", "emit", "escape"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(named, expected);
}

/// Every non-test source file of `src/`, with its path below `src/`.
fn all_code() -> Vec<(String, String)> {
    ALL.iter()
        .flat_map(|m| module_files(m))
        .chain([src().join("lib.rs"), src().join("main.rs")])
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("readable source");
            let name = f.strip_prefix(src()).unwrap_or(&f).display().to_string();
            (name, non_test_code(&text))
        })
        .collect()
}

#[test]
fn only_policy_yaml_names_the_yaml_crate() {
    let users: Vec<String> = all_code()
        .into_iter()
        .filter(|(_, code)| code.contains("serde_saphyr"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(users, ["policy/yaml.rs"]);
}

#[test]
fn registry_paths_are_spelled_only_in_the_catalog() {
    let mut found = Vec::new();
    for (name, code) in all_code() {
        if name.starts_with("catalog/") {
            continue;
        }
        for needle in [
            "\"SOFTWARE\\\\",
            "r\"SOFTWARE\\",
            "\"SYSTEM\\\\",
            "r\"SYSTEM\\",
            "\\\\Terminal Services",
            "\\Terminal Services\"",
        ] {
            // Case-insensitive, as Windows reads paths (`Software\Policies` is the same key).
            if code
                .to_ascii_uppercase()
                .contains(&needle.to_ascii_uppercase())
            {
                found.push(format!("{name}: {needle}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "registry paths outside src/catalog:\n{}",
        found.join("\n")
    );
    // The check can see one: the catalog spells them.
    let catalog = all_code()
        .into_iter()
        .filter(|(n, _)| n == "catalog/keys.rs")
        .map(|(_, c)| c)
        .collect::<String>();
    assert!(
        catalog.contains("r\"SOFTWARE\\Policies"),
        "the scan misses the catalog's spelling"
    );
}

#[test]
fn back_ends_lowering_and_the_model_read_no_clock_and_no_environment() {
    let mut found = Vec::new();
    for (name, code) in all_code() {
        let pure = [
            "emit/", "emit.rs", "lower/", "model/", "catalog/", "formats/", "escape/",
        ]
        .iter()
        .any(|p| name.starts_with(p));
        if !pure {
            continue;
        }
        for needle in [
            "SystemTime",
            "Instant::now",
            "env::var",
            "std::env",
            "thread_rng",
        ] {
            // Case-insensitive, as Windows reads paths (`Software\Policies` is the same key).
            if code
                .to_ascii_uppercase()
                .contains(&needle.to_ascii_uppercase())
            {
                found.push(format!("{name}: {needle}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
