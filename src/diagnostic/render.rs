//! Rendering diagnostics: text with caret snippets (annotate-snippets) and JSON.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::escape::terminal::{is_unsafe, sanitize};
use crate::source::Sources;

/// The source text with every character unsafe for a terminal replaced by as many `?` as it
/// has bytes, so spans still point where they did. Line feeds, tabs and the CR of a CRLF stay.
fn safe_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let keep = c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        if is_unsafe(c) && !keep {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Renders diagnostics as text, each with its snippet. `styled` adds ANSI colour.
#[must_use]
pub fn render_text(diagnostics: &[Diagnostic], sources: &Sources, styled: bool) -> String {
    let renderer = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // Policy text reaches terminals and CI logs: no escape sequence or bidi control in a
        // message, a label, a file name or a quoted source line may reach them.
        let message = sanitize(&d.message);
        let label = d.label.as_deref().map(sanitize);
        let help = d.help.as_deref().map(sanitize);
        let (safe_text, safe_name);
        let title = level.primary_title(message.as_ref()).id(d.code.as_str());
        let group = if let Some(loc) = d.location {
            let file = sources.get(loc.file);
            safe_text = safe_source(&file.text);
            safe_name = sanitize(&file.name);
            let mut start = loc.span.start.min(file.text.len());
            let mut end = loc.span.end.clamp(start, file.text.len());
            while !file.text.is_char_boundary(start) {
                start -= 1;
            }
            while !file.text.is_char_boundary(end) {
                end += 1;
            }
            let mut annotation = AnnotationKind::Primary.span(start..end);
            if let Some(label) = &label {
                annotation = annotation.label(label.as_ref());
            }
            title.element(
                Snippet::source(safe_text.as_str())
                    .path(safe_name.as_ref())
                    .fold(true)
                    .annotation(annotation),
            )
        } else {
            Group::with_title(title)
        };
        let mut report: Vec<Group<'_>> = vec![group];
        if let Some(help) = &help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_ref()),
            ));
        }
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// Renders diagnostics as a JSON array of objects with `code`, `severity`, `message`, `file`,
/// `line` and `column` (1-based; `null` when the problem has no location).
#[must_use]
pub fn render_json(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics
        .iter()
        .map(|d| {
            let (file, start, end) = match d.location {
                Some(loc) => {
                    let f = sources.get(loc.file);
                    (
                        Some(f.name.as_str()),
                        Some(f.line_column(loc.span.start)),
                        Some(f.line_column(loc.span.end)),
                    )
                }
                None => (None, None, None),
            };
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                file,
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                help: d.help.as_deref(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

/// File, start (line, column) and end of a diagnostic, 1-based.
type Place<'a> = (&'a str, (usize, usize), (usize, usize));

fn place<'a>(d: &Diagnostic, sources: &'a Sources) -> Option<Place<'a>> {
    let loc = d.location?;
    let f = sources.get(loc.file);
    Some((
        f.name.as_str(),
        f.line_column(loc.span.start),
        f.line_column(loc.span.end),
    ))
}

fn with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(h) => format!("{} (help: {h})", d.message),
        None => d.message.clone(),
    }
}

/// A relative path as a SARIF `uri` (a URI reference): `/` separators, everything outside
/// the unreserved set and `/` percent-encoded.
#[must_use]
pub fn uri_reference(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// SARIF 2.1.0: one result per diagnostic, with its region; the rules are the codes seen.
#[must_use]
pub fn render_sarif(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut codes: Vec<super::Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.as_str(),
                "shortDescription": {"text": c.title()},
                "fullDescription": {"text": c.explanation()},
                "help": {"text": format!("rdpgen explain {}", c.as_str())},
                "defaultConfiguration": {"level": match c.severity() { Severity::Error => "error", Severity::Warning => "warning" }},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut r = serde_json::json!({
                "ruleId": d.code.as_str(),
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": with_help(d)},
            });
            if let Some((file, (line, col), (end_line, end_col))) = place(d, sources) {
                r["locations"] = serde_json::json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_reference(file)},
                        "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col},
                    }
                }]);
            }
            r
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "rdpgen", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// GitHub Actions workflow commands (`::error file=F,line=L,col=C,...::message`), escaped as
/// the Actions toolkit does (`crate::escape::github`), controls made visible first.
#[must_use]
pub fn render_github(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    use crate::escape::github::{data, property};
    let mut out = String::new();
    for d in diagnostics {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some((file, (line, col), (end_line, end_col))) = place(d, sources) {
            props.push(format!("file={}", property(file)));
            props.push(format!("line={line}"));
            props.push(format!("col={col}"));
            props.push(format!("endLine={end_line}"));
            props.push(format!("endColumn={end_col}"));
        }
        props.push(format!("title={}", property(d.code.as_str())));
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            data(&with_help(d))
        ));
    }
    out
}
