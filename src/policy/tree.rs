//! A policy tree whose every node remembers the file and span it came from, and which earlier
//! files it overrode. One document is a tree; merging documents (`extends`) gives another.

use std::collections::BTreeMap;

use serde_json::Value;

use super::yaml::{Node, NodeValue};
use crate::source::{FileId, Location};

#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    pub value: TreeValue,
    /// Where the value was written.
    pub location: Location,
    /// Where its key was written (absent for the root and list items).
    pub key_location: Option<Location>,
    /// Earlier values this one replaced, oldest first.
    pub overrides: Vec<Location>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TreeValue {
    Null,
    Bool(bool),
    Int(i64),
    Str { text: String, plain: bool },
    Seq(Vec<TreeNode>),
    Map(BTreeMap<String, TreeNode>),
}

impl TreeNode {
    /// Converts a parsed document. Keys are unique (the YAML layer rejects duplicates).
    #[must_use]
    pub fn from_yaml(node: &Node, file: FileId) -> Self {
        Self::convert(node, file, None)
    }

    fn convert(node: &Node, file: FileId, key_location: Option<Location>) -> Self {
        let value = match &node.value {
            NodeValue::Null => TreeValue::Null,
            NodeValue::Bool(b) => TreeValue::Bool(*b),
            NodeValue::Int(i) => TreeValue::Int(*i),
            NodeValue::Str { text, plain } => TreeValue::Str {
                text: text.clone(),
                plain: *plain,
            },
            NodeValue::Seq(items) => TreeValue::Seq(
                items
                    .iter()
                    .map(|item| Self::convert(item, file, None))
                    .collect(),
            ),
            NodeValue::Map(entries) => TreeValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let key_loc = Location { file, span: k.span };
                        (k.name.clone(), Self::convert(v, file, Some(key_loc)))
                    })
                    .collect(),
            ),
        };
        Self {
            value,
            location: Location {
                file,
                span: node.span,
            },
            key_location,
            overrides: Vec::new(),
        }
    }

    /// Applies `over` on top of `self`: maps merge key by key, everything else is replaced whole.
    pub fn merge(&mut self, over: TreeNode) {
        match (&mut self.value, over.value) {
            (TreeValue::Map(base), TreeValue::Map(top)) => {
                for (key, value) in top {
                    match base.get_mut(&key) {
                        Some(existing) => existing.merge(value),
                        None => {
                            base.insert(key, value);
                        }
                    }
                }
                self.location = over.location;
                self.key_location = over.key_location.or(self.key_location);
            }
            (_, value) => {
                let mut overrides = std::mem::take(&mut self.overrides);
                overrides.push(self.location);
                overrides.extend(over.overrides);
                *self = TreeNode {
                    value,
                    location: over.location,
                    key_location: over.key_location,
                    overrides,
                };
            }
        }
    }

    /// The node at a JSON pointer (`/security/nla`, `/firewall/allowFrom/2`).
    #[must_use]
    pub fn get(&self, pointer: &str) -> Option<&TreeNode> {
        let mut node = self;
        for segment in pointer.split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            node = match &node.value {
                TreeValue::Map(map) => map.get(&segment)?,
                TreeValue::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The location of the value at `pointer`, falling back to its nearest ancestor.
    #[must_use]
    pub fn locate(&self, pointer: &str) -> Location {
        let mut p = pointer;
        loop {
            if let Some(node) = self.get(p) {
                return node.location;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return self.location,
            }
        }
    }

    /// The location of the key at `pointer` (for unknown-key messages), else of its value.
    #[must_use]
    pub fn locate_key(&self, pointer: &str) -> Location {
        self.get(pointer)
            .and_then(|n| n.key_location)
            .unwrap_or_else(|| self.locate(pointer))
    }

    /// The plain JSON value, for schema validation and typed deserialization: the document as
    /// YAML 1.2 tools see it (yaml-language-server validates the same JSON against the same
    /// schema), so an unquoted scalar that the YAML 1.2 core schema reads as a number
    /// (`1.2`, `0x1F`, `0o17`, `1e3`, `+5`, `007`) is a number here too.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match &self.value {
            TreeValue::Null => Value::Null,
            TreeValue::Bool(b) => Value::Bool(*b),
            TreeValue::Int(i) => Value::from(*i),
            TreeValue::Str { text, plain: true } => {
                yaml12_number(text).unwrap_or_else(|| Value::String(text.clone()))
            }
            TreeValue::Str { text, .. } => Value::String(text.clone()),
            TreeValue::Seq(items) => Value::Array(items.iter().map(TreeNode::to_json).collect()),
            TreeValue::Map(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Every leaf (scalar or list) with its JSON pointer, in key order.
    #[must_use]
    pub fn leaves(&self) -> Vec<(String, &TreeNode)> {
        let mut out = Vec::new();
        self.collect_leaves(String::new(), &mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, prefix: String, out: &mut Vec<(String, &'a TreeNode)>) {
        match &self.value {
            TreeValue::Map(map) => {
                for (k, v) in map {
                    v.collect_leaves(format!("{prefix}/{k}"), out);
                }
            }
            _ => out.push((prefix, self)),
        }
    }
}

/// One key as a JSON-pointer segment (RFC 6901: `~` is `~0`, `/` is `~1`).
#[must_use]
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `/security/nla` → `security.nla`; list indices become `[2]`.
#[must_use]
pub fn pointer_to_field(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            out.push('[');
            out.push_str(segment);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment.replace("~1", "/").replace("~0", "~"));
        }
    }
    if out.is_empty() {
        out.push_str("(document)");
    }
    out
}

/// The number the YAML 1.2 core schema reads an unquoted scalar as, if any: decimal, `0o`
/// octal and `0x` hexadecimal integers, and floats (`.inf`/`.nan` never get here: the parser
/// rejects them).
#[must_use]
pub fn yaml12_number(text: &str) -> Option<Value> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    let integer = |s: &str, radix: u32| {
        i64::from_str_radix(s, radix).map_or_else(
            // Beyond i64: still a number to YAML (JavaScript keeps it as a double).
            |_| {
                s.parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            },
            |i| Some(Value::from(i)),
        )
    };
    if let Some(oct) = text.strip_prefix("0o") {
        return digits(oct, 8).then(|| integer(oct, 8)).flatten();
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return digits(hex, 16).then(|| integer(hex, 16)).flatten();
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(unsigned, 10) {
        return match text.parse::<i64>() {
            Ok(i) => Some(Value::from(i)),
            Err(_) => integer(text, 10),
        };
    }
    // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && digits(frac, 10))
                || (digits(int, 10) && (frac.is_empty() || digits(frac, 10)))
        }
        None => digits(mantissa, 10),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    let f = text.parse::<f64>().ok()?;
    // An integral float (`3389.0`, `1e3`) is an integer to JSON Schema and to JavaScript, so
    // it is one here too (exact below 2^53).
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::from(f as i64));
    }
    serde_json::Number::from_f64(f).map(Value::Number)
}
