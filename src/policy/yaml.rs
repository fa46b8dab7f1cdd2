//! The one place that knows the YAML crate: parses a policy file into a [`Node`] tree that keeps
//! the byte span of every key and value, with hard limits against hostile input.
//!
//! Scalars are typed strictly: only `true`/`false` are booleans (YAML 1.1 `yes`/`no`/`on`/`off`
//! stay strings), only plain decimal integers that fit `i64` are integers, and every other plain
//! scalar (floats such as `1.2`, octal-looking `0755`) is kept as the text that was written.

use std::fmt;

pub use crate::source::Span;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Options, Spanned};

/// Largest policy file rdpgen reads; policies are a few kilobytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted; the language itself needs three levels.
pub const MAX_DEPTH: usize = 16;
/// Most YAML nodes (and, five times that, parser events) accepted.
pub const MAX_NODES: usize = 20_000;
/// Most anchors, and most aliases, accepted.
pub const MAX_ALIASES: usize = 200;

/// A YAML node with the span of its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub span: Span,
}

/// A mapping key with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    /// A string; `plain` is true when the scalar was written without quotes.
    Str {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl NodeValue {
    /// A short name of the YAML type, for messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "boolean",
            NodeValue::Int(_) => "integer",
            NodeValue::Str { .. } => "string",
            NodeValue::Seq(_) => "list",
            NodeValue::Map(_) => "mapping",
        }
    }
}

/// Why a file could not be parsed as YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub message: String,
    /// Where the problem is; `None` when the parser gave no location.
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    DuplicateKey,
    MultipleDocuments,
    Limit,
    NonStringKey,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn options() -> Options {
    let budget = serde_saphyr::budget! {
        max_depth: MAX_DEPTH,
        max_documents: 1,
        max_nodes: MAX_NODES,
        max_events: MAX_NODES * 5,
        max_aliases: MAX_ALIASES,
        max_anchors: MAX_ALIASES,
        max_total_scalar_bytes: MAX_FILE_BYTES,
        max_recorded_anchor_events: 20_000,
    };
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = 20_000;
    alias_limits.max_replay_stack_depth = MAX_DEPTH;
    alias_limits.max_alias_expansions_per_anchor = 100;
    serde_saphyr::options! {
        budget: budget,
        duplicate_keys: DuplicateKeyPolicy::Error,
        strict_booleans: true,
        merge_keys: serde_saphyr::MergeKeyPolicy::Error,
        with_snippet: false,
        alias_limits: alias_limits,
    }
}

/// Parses one YAML document. `text` must be the whole file.
///
/// # Errors
/// Syntax errors, duplicate keys, several documents, non-string keys and exceeded limits.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let raw: Spanned<Raw> = serde_saphyr::from_str_with_options(text, options())
        .map_err(|e| convert_error(&e, text))?;
    let node = convert(raw, text, 0)?;
    Ok(node)
}

/// Where explicit tags (`!!binary`, `!!str`, `!secret`, `!<tag:...>`) are written on the values
/// and keys of a parsed document. Policies never need them, and a tag changes what a value
/// means while a reviewer sees different text, so the loader refuses them.
///
/// A tag is found by looking at the node properties just before each node (the span of a node
/// starts at its content): a word starting with `!` between the node and the indicator that
/// introduces it (`:`, `-`, `[`, `{`, `,`, `?`) or the start of the document.
#[must_use]
pub fn explicit_tags(node: &Node, text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    collect_tags(node, text, &mut out);
    out.sort_by_key(|s| s.start);
    out.dedup();
    out
}

fn collect_tags(node: &Node, text: &str, out: &mut Vec<Span>) {
    if let Some(span) = tag_before(text, node.span.start) {
        out.push(span);
    }
    match &node.value {
        NodeValue::Seq(items) => {
            for item in items {
                collect_tags(item, text, out);
            }
        }
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                if let Some(span) = tag_before(text, key.span.start) {
                    out.push(span);
                }
                collect_tags(value, text, out);
            }
        }
        _ => {}
    }
}

/// The span of a `!` word among the node properties before `start`, if any.
fn tag_before(text: &str, start: usize) -> Option<Span> {
    let before = text.get(..start.min(text.len()))?;
    let mut end = before.len();
    loop {
        let trimmed = before[..end].trim_end();
        if trimmed.is_empty() {
            return None;
        }
        let last = trimmed.chars().next_back()?;
        if matches!(last, ':' | '-' | '[' | '{' | ',' | '?') {
            return None;
        }
        if trimmed.ends_with('>')
            && let Some(i) = trimmed.rfind("!<")
            && !trimmed[i..].contains(char::is_whitespace)
        {
            return Some(Span::new(i, trimmed.len()));
        }
        let word_start = trimmed
            .rfind(|c: char| c.is_whitespace() || matches!(c, '[' | '{' | ','))
            .map_or(0, |i| i + 1);
        let word = &trimmed[word_start..];
        if word.starts_with('!') {
            return Some(Span::new(word_start, trimmed.len()));
        }
        // Anchors (`&a`), block indicators (`|`, `>-`) and `---` may sit between; anything
        // else means the node has no properties here.
        if !(word.starts_with('&')
            || word.starts_with('|')
            || word.starts_with('>')
            || word == "---")
        {
            return None;
        }
        end = word_start;
    }
}

fn convert_error(e: &serde_saphyr::Error, text: &str) -> YamlError {
    let span = e.location().and_then(|loc| location_span(&loc, text));
    let (kind, message) = classify(e);
    YamlError {
        kind,
        message,
        span,
    }
}

/// rdpgen's own words for the errors whose library text is advice about the library's
/// configuration (`set DuplicateKeyPolicy in Options`) or Rust debug output (`budget
/// breached: Documents { documents: 2 }`); other syntax errors keep the parser's first line,
/// which describes the YAML (`unclosed quote`), without its location.
fn classify(e: &serde_saphyr::Error) -> (YamlErrorKind, String) {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    match e {
        E::WithSnippet { error, .. } | E::AliasError { error, .. } => classify(error),
        E::DuplicateMappingKey { key, .. } => (
            YamlErrorKind::DuplicateKey,
            match key {
                Some(k) => format!("the key `{k}` appears twice in this mapping"),
                None => "a key appears twice in this mapping".to_string(),
            },
        ),
        E::MultipleDocuments { .. } => (YamlErrorKind::MultipleDocuments, several_documents()),
        E::Budget { breach, .. } => match breach {
            B::Documents { .. } => (YamlErrorKind::MultipleDocuments, several_documents()),
            B::Depth { .. } => (
                YamlErrorKind::Limit,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ),
            B::Nodes { .. } | B::Events { .. } => (
                YamlErrorKind::Limit,
                format!("more than {MAX_NODES} YAML nodes (a policy has a few hundred)"),
            ),
            B::AliasAnchorRatio { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => (
                YamlErrorKind::Limit,
                "aliases expand to too much YAML (an alias bomb?)".to_string(),
            ),
            B::Aliases { .. } | B::Anchors { .. } => (
                YamlErrorKind::Limit,
                format!("more than {MAX_ALIASES} anchors or aliases"),
            ),
            _ => (
                YamlErrorKind::Limit,
                "the file exceeds a size limit of rdpgen's YAML reader".to_string(),
            ),
        },
        E::AliasReplayCounterOverflow { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. } => (
            YamlErrorKind::Limit,
            "aliases expand to too much YAML (an alias bomb?)".to_string(),
        ),
        E::NonFiniteFloat { value, .. } => (
            YamlErrorKind::Syntax,
            format!(
                "`{value}` is not a finite number; no policy field takes one (quote it for a string)"
            ),
        ),
        E::UnknownAnchor { .. } => (
            YamlErrorKind::Syntax,
            "an alias (`*name`) refers to an anchor (`&name`) that is not defined before it"
                .to_string(),
        ),
        E::MergeKeyNotAllowed { .. } | E::MergeValueNotMapOrSeqOfMaps { .. } => (
            YamlErrorKind::Syntax,
            "merge keys (`<<`) are not supported in policies; use `extends` to share settings"
                .to_string(),
        ),
        _ => {
            let message = first_line_without_location(&e.without_snippet().to_string());
            if message.to_ascii_lowercase().contains("recursion limit") {
                // The parser's own depth guard (its wording names no YAML construct).
                (
                    YamlErrorKind::Limit,
                    format!("nesting deeper than {MAX_DEPTH} levels"),
                )
            } else {
                (YamlErrorKind::Syntax, message)
            }
        }
    }
}

fn several_documents() -> String {
    "several YAML documents in one file; a policy file holds exactly one".to_string()
}

/// serde-saphyr appends " at line X column Y"; rdpgen prints locations itself.
fn first_line_without_location(rendered: &str) -> String {
    let line = rendered.lines().next().unwrap_or("invalid YAML").trim();
    let cut = line.find(" at line ").map_or(line, |i| &line[..i]);
    cut.trim_end_matches('.').to_string()
}

fn location_span(loc: &serde_saphyr::Location, text: &str) -> Option<Span> {
    let span = loc.span();
    if let (Some(start), Some(len)) = (span.byte_offset(), span.byte_len()) {
        let start = usize::try_from(start).ok()?.min(text.len());
        let end = start
            .saturating_add(usize::try_from(len).ok()?)
            .min(text.len());
        return Some(Span::new(start, end));
    }
    if let Some(start) = span.byte_offset() {
        let start = usize::try_from(start).ok()?.min(text.len());
        return Some(Span::new(start, start));
    }
    // Fall back to line and column (1-based, in characters).
    let line = usize::try_from(loc.line()).ok()?;
    let column = usize::try_from(loc.column()).ok()?;
    if line == 0 {
        return None;
    }
    let line_start = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let offset = text[line_start.min(text.len())..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i);
    Some(Span::new(offset, offset))
}

fn spanned_span<T>(s: &Spanned<T>, text: &str) -> Span {
    location_span(&s.defined, text)
        .or_else(|| location_span(&s.referenced, text))
        .unwrap_or_default()
}

fn convert(raw: Spanned<Raw>, text: &str, depth: usize) -> Result<Node, YamlError> {
    let span = spanned_span(&raw, text);
    if depth > MAX_DEPTH {
        return Err(YamlError {
            kind: YamlErrorKind::Limit,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
            span: Some(span),
        });
    }
    let value = match raw.value {
        Raw::Null => NodeValue::Null,
        Raw::Bool(b) => NodeValue::Bool(b),
        Raw::Int(i) => {
            // Keep the spelling when it is not a plain decimal (`0x10`, `+5`, `007`).
            let written = text.get(span.start..span.end).unwrap_or("");
            if written.is_empty() || written == i.to_string() {
                NodeValue::Int(i)
            } else {
                NodeValue::Str {
                    text: written.to_string(),
                    plain: true,
                }
            }
        }
        Raw::Other => NodeValue::Str {
            text: text.get(span.start..span.end).unwrap_or("").to_string(),
            plain: true,
        },
        Raw::Str(s) => {
            let written = text.get(span.start..span.end).unwrap_or("");
            let plain = !(written.starts_with('"')
                || written.starts_with('\'')
                || written.starts_with('|')
                || written.starts_with('>'));
            NodeValue::Str { text: s, plain }
        }
        Raw::Seq(items) => NodeValue::Seq(
            items
                .into_iter()
                .map(|item| convert(item, text, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Raw::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let key_span = spanned_span(&key, text);
                let name = match key.value {
                    Raw::Str(s) => s,
                    Raw::Int(i) => i.to_string(),
                    other => {
                        return Err(YamlError {
                            kind: YamlErrorKind::NonStringKey,
                            message: format!(
                                "mapping keys must be strings, found {}",
                                other.type_name()
                            ),
                            span: Some(key_span),
                        });
                    }
                };
                out.push((
                    Key {
                        name,
                        span: key_span,
                    },
                    convert(value, text, depth + 1)?,
                ));
            }
            NodeValue::Map(out)
        }
    };
    Ok(Node { value, span })
}

/// What serde-saphyr hands over, before spans and spellings are applied.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    /// A float or an integer beyond `i64`: kept as written.
    Other,
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl Raw {
    fn type_name(&self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "boolean",
            Raw::Int(_) | Raw::Other => "number",
            Raw::Str(_) => "string",
            Raw::Seq(_) => "list",
            Raw::Map(_) => "mapping",
        }
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Other, Raw::Int))
    }
    fn visit_i128<E: de::Error>(self, _v: i128) -> Result<Raw, E> {
        Ok(Raw::Other)
    }
    fn visit_u128<E: de::Error>(self, _v: u128) -> Result<Raw, E> {
        Ok(Raw::Other)
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Raw, E> {
        Ok(Raw::Other)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Spanned<Raw>, Spanned<Raw>>()? {
            entries.push((k, v));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_at<'a>(node: &'a Node, key: &str) -> &'a Node {
        match &node.value {
            NodeValue::Map(entries) => &entries.iter().find(|(k, _)| k.name == key).unwrap().1,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn explicit_tags_are_found_wherever_they_are_written() {
        for text in [
            "a: !!binary aGVsbG8=\n",
            "a: !!str 1.2\n",
            "a: !secret x\n",
            "a: &x !!str y\n",
            "a:\n  - !!binary aGVsbG8=\n",
            "a: [b, !!str c]\n",
            "a: !!binary |\n  aGVsbG8=\n",
            "!!str a: b\n",
            "a: !<tag:yaml.org,2002:str> b\n",
        ] {
            let node = parse(text).unwrap();
            let tags = explicit_tags(&node, text);
            assert_eq!(tags.len(), 1, "{text:?}: {tags:?}");
            assert!(text[tags[0].start..].starts_with('!'), "{text:?}");
        }
        for text in [
            "a: hello!\n",
            "a: \"!!binary x\"\n",
            "a: '!x'\n",
            "a: |\n  !!binary x\n",
            "a: [b, c!]\n",
        ] {
            let node = parse(text).unwrap();
            assert!(explicit_tags(&node, text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "a: 1\nb:\n  c: hello\n";
        let node = parse(text).unwrap();
        let b = value_at(&node, "b");
        let c = value_at(b, "c");
        assert_eq!(&text[c.span.start..c.span.end], "hello");
        let NodeValue::Map(entries) = &b.value else {
            panic!()
        };
        assert_eq!(&text[entries[0].0.span.start..entries[0].0.span.end], "c");
    }

    #[test]
    fn scalars_are_typed_strictly() {
        let text = "a: yes\nb: true\nc: 3389\nd: 1.0\ne: '1.2'\nf: 0755\ng: off\nh: ~\n";
        let node = parse(text).unwrap();
        let str_of = |k| match &value_at(&node, k).value {
            NodeValue::Str { text, plain } => (text.clone(), *plain),
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(str_of("a"), ("yes".to_string(), true));
        assert_eq!(value_at(&node, "b").value, NodeValue::Bool(true));
        assert_eq!(value_at(&node, "c").value, NodeValue::Int(3389));
        assert_eq!(str_of("d"), ("1.0".to_string(), true));
        assert_eq!(str_of("e"), ("1.2".to_string(), false));
        assert_eq!(str_of("f"), ("0755".to_string(), true));
        assert_eq!(str_of("g"), ("off".to_string(), true));
        assert_eq!(value_at(&node, "h").value, NodeValue::Null);
    }

    #[test]
    fn duplicate_keys_are_rejected_with_a_location() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::DuplicateKey, "{err:?}");
        assert!(err.span.is_some());
    }

    #[test]
    fn several_documents_are_rejected() {
        let err = parse("a: 1\n---\na: 2\n").unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::MultipleDocuments, "{err:?}");
    }

    #[test]
    fn alias_bombs_hit_a_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Limit, "{err:?}");
    }

    #[test]
    fn deep_nesting_hits_a_limit() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse(&text).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Limit, "{err:?}");
        let text = (0..100).fold(String::new(), |mut s, i| {
            s.push_str(&" ".repeat(i * 2));
            s.push_str("k:\n");
            s
        });
        assert_eq!(parse(&text).unwrap_err().kind, YamlErrorKind::Limit);
    }
}
