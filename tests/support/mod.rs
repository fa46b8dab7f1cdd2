//! What every test crate shares (`tests/cli/main.rs` and `tests/formats_codecs.rs` include this
//! file with `#[path]`): the one way to compare output with a committed file, and the one rule
//! for tests that need something outside the repository.
//!
//! Committed files (golden reports, snapshots, the generated docs and schema) are blessed with
//! `UPDATE_SNAPSHOTS=1`, the only such variable; read `git diff` before committing them.

use std::fmt::Write as _;
use std::path::Path;

/// The variable that rewrites committed files instead of comparing with them.
pub const UPDATE: &str = "UPDATE_SNAPSHOTS";

/// Lines of context shown around the first difference, and the most changed lines shown.
const CONTEXT: usize = 3;
const SHOWN: usize = 20;

/// Compares `actual` with the committed file at `path` (relative to the repository), or
/// rewrites it under `UPDATE_SNAPSHOTS=1`. A mismatch fails with a line diff (a hex dump's
/// lines for binary files) and the command that blesses the new bytes.
pub fn assert_snapshot(path: &str, actual: impl AsRef<[u8]>) {
    let actual = actual.as_ref();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let bless = bless_command();
    // Only `UPDATE_SNAPSHOTS=1` blesses, and never under CI: a leaked variable must not turn
    // every comparison into a rewrite.
    if std::env::var(UPDATE).as_deref() == Ok("1") {
        assert!(
            std::env::var_os("CI").is_none(),
            "{UPDATE}=1 and CI are both set: CI compares, it never blesses"
        );
        if std::fs::read(&file).ok().as_deref() != Some(actual) {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).expect("snapshot directory");
            }
            std::fs::write(&file, actual).unwrap_or_else(|e| panic!("{path}: {e}"));
            // Straight to stderr: the harness hides eprintln! of a passing test.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr().lock(),
                format!("{UPDATE}: rewrote {path}; review it with `git diff -- {path}`\n")
                    .as_bytes(),
            );
        }
        return;
    }
    let Ok(expected) = std::fs::read(&file) else {
        panic!("{path} is missing: create it with `{bless}` and review it");
    };
    if expected != actual {
        panic!(
            "{path} differs from the output (- committed, + now):\n{}\nif the change is intended, bless it with `{bless}` and review `git diff -- {path}`",
            diff(&expected, actual)
        );
    }
}

/// `UPDATE_SNAPSHOTS=1 cargo test --test CRATE TEST`, for the test running now.
fn bless_command() -> String {
    let test = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(|n| format!(" {n} -- --exact"))
        .unwrap_or_default();
    format!(
        "{UPDATE}=1 cargo test --test {}{test}",
        env!("CARGO_CRATE_NAME")
    )
}

/// The lines of a file for the diff: its text lines, or a hex dump when it is not UTF-8.
fn lines(bytes: &[u8]) -> Vec<String> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.split_inclusive('\n').map(visible).collect(),
        Err(_) => bytes
            .chunks(16)
            .enumerate()
            .map(|(i, chunk)| {
                let mut line = format!("{:08x} ", i * 16);
                for b in chunk {
                    let _ = write!(line, " {b:02x}");
                }
                line
            })
            .collect(),
    }
}

/// A line as shown in the diff: line ends and other invisible characters spelled out, so a
/// difference in them can be seen.
fn visible(line: &str) -> String {
    let mut out = String::new();
    for c in line.chars() {
        match c {
            '\n' => {}
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if !line.ends_with('\n') {
        out.push_str("⟨no newline at end⟩");
    }
    out
}

/// The region between the common first and last lines, with line numbers and context.
fn diff(expected: &[u8], actual: &[u8]) -> String {
    let (old, new) = (lines(expected), lines(actual));
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_end, new_end) = (old.len() - suffix, new.len() - suffix);
    let mut out = format!(
        "@@ first difference at line {} (committed: {} lines, now: {} lines) @@\n",
        prefix + 1,
        old.len(),
        new.len()
    );
    for (i, line) in old
        .iter()
        .enumerate()
        .take(prefix)
        .skip(prefix.saturating_sub(CONTEXT))
    {
        let _ = writeln!(out, " {:>5} | {line}", i + 1);
    }
    for (sign, side, end) in [('-', &old, old_end), ('+', &new, new_end)] {
        for (i, line) in side.iter().enumerate().take(end).skip(prefix).take(SHOWN) {
            let _ = writeln!(out, "{sign}{:>5} | {line}", i + 1);
        }
        if end - prefix > SHOWN {
            let _ = writeln!(out, "{sign}      | … {} more lines", end - prefix - SHOWN);
        }
    }
    for (i, line) in new.iter().enumerate().skip(new_end).take(CONTEXT) {
        let _ = writeln!(out, " {:>5} | {line}", i + 1);
    }
    out
}

/// Whether a test may use something outside the repository (a validator, a tool, `../shared`).
/// When it is missing the test says so visibly and skips locally, and fails under CI (`CI`
/// set), so a CI run can never pass with a missing install.
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing, and CI is set: install it (.ci/run does)"
    );
    // Straight to the process's stderr: the test harness captures `eprintln!` of a passing
    // test, and a skip must be seen.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr().lock(),
        format!("\n!!! SKIPPED: {what} is missing; this test DID NOT RUN here (CI runs it) !!!\n")
            .as_bytes(),
    );
    false
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn the_diff_shows_the_first_changed_lines_with_numbers_and_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh";
        let text = diff(old.as_bytes(), new.as_bytes());
        assert_eq!(
            text,
            "@@ first difference at line 4 (committed: 7 lines, now: 8 lines) @@\n     1 | a\n     2 | b\n     3 | c\n-    4 | d\n-    5 | e\n-    6 | f\n-    7 | g\n+    4 | D\n+    5 | e\n+    6 | f\n+    7 | g\n+    8 | h⟨no newline at end⟩\n"
        );
        let binary = diff(&[0xff, 0, 1], &[0xff, 0, 2]);
        assert!(
            binary.contains("-    1 | 00000000  ff 00 01\n+    1 | 00000000  ff 00 02\n"),
            "{binary}"
        );
    }
}
