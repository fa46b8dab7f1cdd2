//! `rdpgen import`: existing GPOs, Registry.pol, `.reg`, LGPO text, GptTmpl.inf and host
//! snapshots back into a policy YAML. Bad input, conflicts between sources and values a field
//! cannot express exit 1 and write nothing; values no field covers are listed in the YAML and
//! on stderr (`--strict` makes them exit 1 too).

use std::path::Path;

use serde_json::Value;

use crate::cli::ImportArgs;
use crate::compile::{self, check};
use crate::diagnostic::{Severity, render_text};
use crate::exit_status::ExitStatus;
use crate::import::map::{Field, Mapped};
use crate::import::{self, Input, yaml};
use crate::policy::{Policy, builtin};
use crate::source::Sources;

pub fn run(args: &ImportArgs) -> ExitStatus {
    match import_policy(args) {
        Ok(out) => out,
        Err((status, messages)) => {
            for m in messages {
                eprintln!("error: {m}");
            }
            if let Some(o) = &args.output {
                eprintln!("error: nothing written to {}", o.display());
            }
            status
        }
    }
}

type Failure = (ExitStatus, Vec<String>);

fn fail(message: String) -> Failure {
    (ExitStatus::Problems, vec![message])
}

fn is_policy_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// `MSFT Windows Server 2025 - Member Server` → `msft-windows-server-2025-member-server`.
fn slug(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

fn now() -> i64 {
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH")
        && let Ok(s) = v.trim().parse::<i64>()
    {
        return s;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn import_policy(args: &ImportArgs) -> Result<ExitStatus, Failure> {
    let mut input = Input::default();
    for source in &args.sources {
        input.merge(import::read::source(source, args.host.as_deref()).map_err(fail)?);
    }
    let mut mapped = import::map::map(&input);
    // A conflict about a value that becomes a field decides the policy: it fails unless
    // --later-wins. One about a value no field covers only changes the listing: a warning.
    let (blocking, listed): (Vec<_>, Vec<_>) = input
        .conflicts
        .iter()
        .partition(|c| mapped.imported.contains(&c.on));
    for c in &listed {
        eprintln!(
            "warning: {} (not imported; the later source is listed)",
            c.message
        );
    }
    if !blocking.is_empty() {
        if args.later_wins {
            for c in &blocking {
                eprintln!(
                    "warning: {} (the later source wins: --later-wins)",
                    c.message
                );
            }
        } else {
            let mut messages: Vec<String> = blocking.iter().map(|c| c.message.clone()).collect();
            messages.push(format!(
                "{} conflict{} between the sources; pass --later-wins to let later sources win",
                blocking.len(),
                if blocking.len() == 1 { "" } else { "s" }
            ));
            return Err((ExitStatus::Problems, messages));
        }
    }
    if !mapped.errors.is_empty() {
        return Err((ExitStatus::Problems, mapped.errors));
    }
    let name = match &args.name {
        Some(n) if is_policy_name(n) => n.clone(),
        Some(n) => {
            return Err((
                ExitStatus::Failure,
                vec![format!(
                    "--name `{}`: a policy name is lowercase letters, digits and `-`, at most 63 characters, starting with a letter or digit",
                    crate::escape::single_line(n)
                )],
            ));
        }
        None => mapped
            .name_hint
            .clone()
            .filter(|n| is_policy_name(n))
            .or_else(|| {
                mapped
                    .gpo
                    .as_ref()
                    .and_then(|g| g.display_name.as_deref())
                    .and_then(slug)
            })
            .or_else(|| {
                args.sources
                    .first()
                    .and_then(|p| p.file_stem())
                    .and_then(|s| slug(&s.to_string_lossy()))
            })
            .unwrap_or_else(|| "imported".to_string()),
    };
    gpo_fields(&mut mapped, &name);
    // The whole imported posture must be a valid policy that builds.
    let full = yaml::render(&yaml::Document {
        name: &name,
        fields: mapped.fields.clone(),
        empty_sections: mapped.empty_sections.clone(),
        ..yaml::Document::default()
    })
    .map_err(|e| {
        fail(format!(
            "the imported policy cannot be written as YAML: {e}"
        ))
    })?;
    let policy = check_policy(&full, None)?;
    crate::lower::lower(&policy).map_err(|e| {
        (
            ExitStatus::Failure,
            vec![format!("bug: the imported policy does not build: {e}")],
        )
    })?;
    let mut notes = Vec::new();
    let mut fields = mapped.fields.clone();
    let mut empty_sections = mapped.empty_sections.clone();
    if let Some(base) = &args.extends {
        let base_fields = base_fields(base)?;
        fields.retain(|f| {
            base_fields
                .iter()
                .all(|(bf, bv)| *bf != f.field || bv != &f.value)
        });
        for (bf, bv) in &base_fields {
            if !mapped.fields.iter().any(|f| f.field == *bf) {
                let n = format!(
                    "{base} sets {bf} = {bv}, which the sources do not set; a delta cannot unset it"
                );
                eprintln!("warning: {n}");
                notes.push(format!("Note: {n}."));
            }
        }
        if base_fields.iter().any(|(f, _)| f.starts_with("firewall.")) {
            empty_sections.retain(|s| *s != "firewall");
        }
    }
    let mut header = vec![format!(
        "Imported by `rdpgen import` on {} from:",
        yaml::rfc3339(now())
    )];
    header.extend(input.files.iter().map(|f| format!("  {f}")));
    if let Some(display) = mapped.gpo.as_ref().and_then(|g| g.display_name.as_deref()) {
        header.push(format!("GPO: {display}"));
    }
    header.push("Review every value (`rdpgen validate`, `rdpgen build`) before committing.".into());
    let text = yaml::render(&yaml::Document {
        header,
        name: &name,
        extends: args.extends.as_deref(),
        fields,
        empty_sections,
        unmapped: &mapped.unmapped,
        notes,
    })
    .map_err(|e| {
        fail(format!(
            "the imported policy cannot be written as YAML: {e}"
        ))
    })?;
    if args.extends.is_some() {
        // The delta with its base must be valid too: the base's fields may clash with the
        // imported ones. Relative bases resolve beside the output, as they will when read.
        let dir = args
            .output
            .as_deref()
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        check_policy(&text, Some(dir))?;
    }
    if !mapped.unmapped.is_empty() {
        for u in &mapped.unmapped {
            eprintln!("not imported: {}  ({})", u.what, u.origin);
        }
        eprintln!(
            "{}: {} value{} no policy field covers (listed at the end of the YAML)",
            if args.strict { "error" } else { "warning" },
            mapped.unmapped.len(),
            if mapped.unmapped.len() == 1 { "" } else { "s" }
        );
        if args.strict {
            return Err((
                ExitStatus::Problems,
                vec!["--strict: values were not imported".into()],
            ));
        }
    }
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes()).map_err(|e| {
            (
                ExitStatus::Failure,
                vec![format!("cannot write {}: {e}", path.display())],
            )
        })?,
        None => return Ok(super::print_bytes(text.as_bytes())),
    }
    Ok(ExitStatus::Success)
}

/// `gpo.displayName`, `gpo.guid` and `gpo.domain` from a GPMC backup, unless they are what
/// rdpgen would choose for this name anyway.
fn gpo_fields(mapped: &mut Mapped, name: &str) {
    let Some(info) = mapped.gpo.clone() else {
        return;
    };
    let default_guid = format!(
        "{{{}}}",
        uuid::Uuid::new_v5(&crate::model::GPO_NAMESPACE, name.as_bytes()).hyphenated()
    )
    .to_uppercase();
    if let Some(d) = info.display_name.filter(|d| *d != format!("rdpgen {name}")) {
        mapped.fields.push(Field {
            field: "gpo.displayName",
            value: Value::String(d),
            note: None,
        });
    }
    if let Some(g) = info
        .guid
        .filter(|g| !g.eq_ignore_ascii_case(&default_guid) && is_guid(g))
    {
        mapped.fields.push(Field {
            field: "gpo.guid",
            value: Value::String(g.to_uppercase()),
            note: None,
        });
    }
    if let Some(d) = info.domain {
        mapped.fields.push(Field {
            field: "gpo.domain",
            value: Value::String(d),
            note: None,
        });
    }
}

fn is_guid(g: &str) -> bool {
    let Some(inner) = g.strip_prefix('{').and_then(|g| g.strip_suffix('}')) else {
        return false;
    };
    let parts: Vec<&str> = inner.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Validates a policy text as `rdpgen validate` would (from a scratch file; `dir` is where
/// relative `extends` resolve).
fn check_policy(text: &str, dir: Option<&Path>) -> Result<Policy, Failure> {
    // Checked as a file `imported.yaml` in the output directory (or the temporary directory)
    // would be, so a relative `extends` resolves as it will when the file is written.
    let dir = dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let mut sources = Sources::default();
    let input = compile::Input::Text {
        name: "imported.yaml",
        text: text.as_bytes(),
        dir: &dir,
    };
    let result =
        check(input, &mut sources).map_err(|e| (ExitStatus::Failure, vec![e.to_string()]))?;
    let errors: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .cloned()
        .collect();
    match result.policy {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err((
            ExitStatus::Problems,
            vec![format!(
                "the imported values do not form a valid policy:\n{}",
                render_text(&errors, &sources, false).trim_end()
            )],
        )),
    }
}

/// The fields a base sets after its own `extends`, in catalog order.
fn base_fields(base: &str) -> Result<Vec<(&'static str, Value)>, Failure> {
    let policy = if builtin::baseline(base).is_some() {
        check_policy(&format!("rdpgen: 1\nname: base\nextends: [{base}]\n"), None)?
    } else {
        let path = Path::new(base);
        let mut sources = Sources::default();
        let result = check(compile::Input::File(path), &mut sources)
            .map_err(|e| fail(format!("--extends: {e}")))?;
        result.policy.ok_or_else(|| {
            fail(format!(
                "--extends {}: not a valid policy:\n{}",
                crate::escape::single_line(base),
                render_text(&result.diagnostics, &sources, false)
            ))
        })?
    };
    let json = serde_json::to_value(&policy).unwrap_or(Value::Null);
    Ok(crate::catalog::SETTINGS
        .iter()
        .filter(|s| !s.field.starts_with("gpo."))
        .filter_map(|s| {
            s.field
                .split('.')
                .try_fold(&json, |v, k| v.get(k))
                .filter(|v| !v.is_null())
                .map(|v| (s.field, v.clone()))
        })
        .collect())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.rdpgen-tmp"));
    {
        use std::io::Write as _;
        let mut file = crate::fsread::create_no_follow(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
