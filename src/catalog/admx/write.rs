//! What one `admx:` entry writes: the registry values of an ADMX policy in a state with its
//! element values, by the rules in the module documentation. Pure: validation reports the
//! [`Problem`]s, lowering turns the [`Write`]s into registry operations.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ElementKind, ListItem, Policy, PolicyClass, Value};
use crate::catalog::State;
use crate::formats::RegistryValue;

/// The value an `admx:` entry gives one element, as YAML writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Input {
    /// A boolean element.
    Flag(bool),
    /// A decimal or longDecimal element, or an enum item by its value.
    Number(u64),
    /// A text element, or an enum item by name.
    Text(String),
    /// A list or multiText element.
    Texts(Vec<String>),
    /// A list element with `explicitValue`: value name → data.
    Named(BTreeMap<String, String>),
}

impl Input {
    fn kind(&self) -> &'static str {
        match self {
            Self::Flag(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::Text(_) => "a string",
            Self::Texts(_) => "a list",
            Self::Named(_) => "a map",
        }
    }
}

/// One registry value an entry sets (`value: Some`) or deletes (`None`), below HKLM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub key: &'static str,
    pub value_name: String,
    pub value: Option<RegistryValue>,
}

/// Why an entry cannot be written; `element` names the element at fault, if one is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub element: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

fn problem(element: Option<&str>, message: String, help: Option<String>) -> Problem {
    Problem {
        element: element.map(str::to_string),
        message,
        help,
    }
}

fn items(out: &mut Vec<Write>, list: &[ListItem]) {
    for item in list {
        out.push(Write {
            key: item.key,
            value_name: item.value_name.to_string(),
            value: item.value.registry(),
        });
    }
}

/// The longest value name Windows accepts (characters).
const MAX_VALUE_NAME: usize = 16_383;

/// The registry values `policy` in `state` with `values` writes, in ADMX order: the policy's
/// own value, its list, then each element.
///
/// # Errors
/// Every problem found: a User-class policy, values given for Disabled, an unknown or
/// missing element, a value of the wrong kind or out of range, an unknown enum item, and the
/// shapes rdpgen does not write (soft values, clearing a list's key).
pub fn writes(
    policy: &Policy,
    state: State,
    values: &BTreeMap<String, Input>,
) -> Result<Vec<Write>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    if policy.class == PolicyClass::User {
        problems.push(problem(
            None,
            format!(
                "{} is a User policy: rdpgen writes Computer Configuration (Machine) policies",
                policy.id()
            ),
            Some("set it in a user GPO by other means, or pick the policy's Machine twin".into()),
        ));
        return Err(problems);
    }
    let key = policy.key;
    if let Some(name) = policy.value_name {
        let value = match (state, policy.enabled_value, policy.disabled_value) {
            (State::Enabled, Some(v), _) => v.registry(),
            (State::Enabled, None, _) => Some(RegistryValue::Dword(1)),
            (State::Disabled, _, Some(v)) => v.registry(),
            (State::Disabled, _, None) => None,
        };
        out.push(Write {
            key,
            value_name: name.to_string(),
            value,
        });
    }
    items(
        &mut out,
        match state {
            State::Enabled => policy.enabled_list,
            State::Disabled => policy.disabled_list,
        },
    );
    match state {
        State::Disabled => disabled(policy, values, &mut out, &mut problems),
        State::Enabled => enabled(policy, values, &mut out, &mut problems),
    }
    if problems.is_empty() {
        Ok(last_write_wins(out))
    } else {
        Err(problems)
    }
}

/// One write per value: where a policy writes a value twice (a list entry named like another
/// element's value), Windows applies Registry.pol in order and the later one stays.
fn last_write_wins(writes: Vec<Write>) -> Vec<Write> {
    let mut out: Vec<Write> = Vec::with_capacity(writes.len());
    for w in writes {
        out.retain(|o| {
            !(o.key.eq_ignore_ascii_case(w.key) && o.value_name.eq_ignore_ascii_case(&w.value_name))
        });
        out.push(w);
    }
    out
}

fn disabled(
    policy: &Policy,
    values: &BTreeMap<String, Input>,
    out: &mut Vec<Write>,
    problems: &mut Vec<Problem>,
) {
    if !values.is_empty() {
        problems.push(problem(
            None,
            format!(
                "{} is disabled, so its elements take no values",
                policy.id()
            ),
            Some("remove `values`, or set `state: enabled`".into()),
        ));
    }
    for e in policy.elements {
        match &e.kind {
            ElementKind::List { .. } => problems.push(problem(
                Some(e.id),
                format!(
                    "disabling {} clears the key of its list `{}` (Registry.pol `**delvals.`), \
                     which rdpgen does not write",
                    policy.id(),
                    e.id
                ),
                Some("leave the policy out, or enable it with the entries you want".into()),
            )),
            ElementKind::Boolean { off, off_list, .. } if off.is_some() || !off_list.is_empty() => {
                if let Some(v) = off {
                    out.push(Write {
                        key: e.key,
                        value_name: e.value_name.to_string(),
                        value: v.registry(),
                    });
                }
                items(out, off_list);
            }
            // A value the policy's disabledList already sets (TS_SESSIONS_RemoteApp_End_Timeout_1
            // names its enum's value there) keeps that explicit value.
            _ if out.iter().any(|w| {
                w.key.eq_ignore_ascii_case(e.key) && w.value_name.eq_ignore_ascii_case(e.value_name)
            }) => {}
            _ => out.push(Write {
                key: e.key,
                value_name: e.value_name.to_string(),
                value: None,
            }),
        }
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one arm per ADMX element kind, each short; splitting them hides the table"
)]
fn enabled(
    policy: &Policy,
    values: &BTreeMap<String, Input>,
    out: &mut Vec<Write>,
    problems: &mut Vec<Problem>,
) {
    for name in values.keys() {
        if policy.element(name).is_none() {
            let ids: Vec<&str> = policy.elements.iter().map(|e| e.id).collect();
            let help = match crate::diagnostic::suggest(name, ids.iter().copied()) {
                Some(s) => Some(format!("did you mean `{s}`?")),
                None if ids.is_empty() => Some(format!("{} has no elements", policy.id())),
                None => Some(format!("its elements: {}", ids.join(", "))),
            };
            problems.push(problem(
                Some(name),
                format!("{} has no element `{name}`", policy.id()),
                help,
            ));
        }
    }
    for e in policy.elements {
        let key = e.key;
        let id = e.id;
        let wrong = |given: &Input, wants: &str| {
            problem(
                Some(id),
                format!(
                    "element `{id}` ({}) takes {wants}, not {}",
                    e.kind.tag(),
                    given.kind()
                ),
                None,
            )
        };
        if e.kind.soft() {
            problems.push(problem(
                Some(id),
                format!(
                    "element `{id}` is soft (written only where no value exists), which rdpgen \
                     cannot enforce or audit"
                ),
                None,
            ));
            continue;
        }
        let given = values.get(id);
        let Some(given) = given else {
            if !matches!(
                e.kind,
                ElementKind::List { .. } | ElementKind::MultiText { .. }
            ) {
                problems.push(problem(
                    Some(id),
                    format!(
                        "{} needs a value for its element `{id}` ({})",
                        policy.id(),
                        describe(&e.kind)
                    ),
                    Some("rdpgen writes no editor default: give every element".into()),
                ));
            }
            continue;
        };
        let set = |value: RegistryValue| Write {
            key,
            value_name: e.value_name.to_string(),
            value: Some(value),
        };
        match (&e.kind, given) {
            (
                ElementKind::Boolean {
                    on,
                    off,
                    on_list,
                    off_list,
                },
                Input::Flag(b),
            ) => {
                let (value, list) = if *b { (on, on_list) } else { (off, off_list) };
                match value {
                    Some(v) => out.push(Write {
                        key,
                        value_name: e.value_name.to_string(),
                        value: v.registry(),
                    }),
                    None if list.is_empty() && *b => out.push(set(RegistryValue::Dword(1))),
                    None if list.is_empty() => out.push(Write {
                        key,
                        value_name: e.value_name.to_string(),
                        value: None,
                    }),
                    None => {}
                }
                items(out, list);
            }
            (ElementKind::Boolean { .. }, other) => problems.push(wrong(other, "true or false")),
            (
                ElementKind::Decimal {
                    min,
                    max,
                    store_as_text,
                    ..
                },
                Input::Number(n),
            ) => match u32::try_from(*n) {
                Ok(n) if (*min..=*max).contains(&n) => out.push(if *store_as_text {
                    set(RegistryValue::Sz(n.to_string()))
                } else {
                    set(RegistryValue::Dword(n))
                }),
                _ => problems.push(problem(
                    Some(id),
                    format!("element `{id}` takes {min} to {max}, not {n}"),
                    None,
                )),
            },
            (
                ElementKind::LongDecimal {
                    min,
                    max,
                    store_as_text,
                    ..
                },
                Input::Number(n),
            ) => {
                if (*min..=*max).contains(n) {
                    out.push(if *store_as_text {
                        set(RegistryValue::Sz(n.to_string()))
                    } else {
                        set(RegistryValue::Qword(*n))
                    });
                } else {
                    problems.push(problem(
                        Some(id),
                        format!("element `{id}` takes {min} to {max}, not {n}"),
                        None,
                    ));
                }
            }
            (ElementKind::Decimal { .. } | ElementKind::LongDecimal { .. }, other) => {
                problems.push(wrong(other, "a whole number"));
            }
            (
                ElementKind::Text {
                    max_length,
                    expandable,
                    ..
                },
                Input::Text(s),
            ) => {
                if s.chars().count() > *max_length as usize {
                    problems.push(problem(
                        Some(id),
                        format!("element `{id}` takes at most {max_length} characters"),
                        None,
                    ));
                } else if *expandable {
                    out.push(set(RegistryValue::ExpandSz(s.clone())));
                } else {
                    out.push(set(RegistryValue::Sz(s.clone())));
                }
            }
            (ElementKind::Text { .. }, other) => problems.push(wrong(other, "a string")),
            (
                ElementKind::Enum { items: choices, .. },
                given @ (Input::Text(_) | Input::Number(_)),
            ) => {
                let item = choices.iter().find(|i| match given {
                    Input::Text(s) => i.name == s,
                    Input::Number(n) => {
                        matches!(i.value, Value::Decimal(v) if u64::from(v) == *n)
                            || matches!(i.value, Value::LongDecimal(v) if v == *n)
                    }
                    _ => false,
                });
                match item {
                    Some(item) => {
                        out.push(Write {
                            key,
                            value_name: e.value_name.to_string(),
                            value: item.value.registry(),
                        });
                        items(out, item.value_list);
                    }
                    None => {
                        let names: Vec<&str> = choices.iter().map(|i| i.name).collect();
                        let shown = match given {
                            Input::Text(s) => s.clone(),
                            other => format!("{other:?}"),
                        };
                        let help = match given {
                            Input::Text(s) => crate::diagnostic::suggest(s, names.iter().copied())
                                .map(|s| format!("did you mean `{s}`?")),
                            _ => None,
                        }
                        .or_else(|| Some(format!("its items: {}", names.join(", "))));
                        problems.push(problem(
                            Some(id),
                            format!("element `{id}` has no item `{shown}`"),
                            help,
                        ));
                    }
                }
            }
            (ElementKind::Enum { .. }, other) => {
                problems.push(wrong(other, "an item name (or its number)"));
            }
            (
                ElementKind::List {
                    value_prefix,
                    additive,
                    explicit_value,
                    expandable,
                },
                given,
            ) => {
                if !additive {
                    problems.push(problem(
                        Some(id),
                        format!(
                            "element `{id}` replaces its key's values (Registry.pol \
                             `**delvals.`), which rdpgen does not write"
                        ),
                        None,
                    ));
                    continue;
                }
                let text = |s: &str| {
                    if *expandable {
                        RegistryValue::ExpandSz(s.to_string())
                    } else {
                        RegistryValue::Sz(s.to_string())
                    }
                };
                let pairs: Vec<(String, String)> = match (explicit_value, given) {
                    (true, Input::Named(map)) => {
                        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                    }
                    (false, Input::Texts(list)) => list
                        .iter()
                        .enumerate()
                        .map(|(n, v)| {
                            let name = match value_prefix {
                                Some(p) => format!("{p}{}", n + 1),
                                None => v.clone(),
                            };
                            (name, v.clone())
                        })
                        .collect(),
                    (true, other) => {
                        problems.push(wrong(other, "a map of value names to strings"));
                        continue;
                    }
                    (false, other) => {
                        problems.push(wrong(other, "a list of strings"));
                        continue;
                    }
                };
                let mut seen = std::collections::BTreeSet::new();
                for (name, v) in pairs {
                    if name.is_empty() || v.is_empty() {
                        problems.push(problem(
                            Some(id),
                            format!("element `{id}` has an empty entry"),
                            None,
                        ));
                    } else if name.starts_with("**") {
                        // Registry.pol reads `**del.`, `**delvals.`, `**DeleteKeys` ... as
                        // commands, and every other target as a plain name.
                        problems.push(problem(
                            Some(id),
                            format!(
                                "element `{id}`: a value name cannot start with `**` (`{name}`)"
                            ),
                            None,
                        ));
                    } else if name.chars().count() > MAX_VALUE_NAME {
                        problems.push(problem(
                            Some(id),
                            format!("element `{id}`: a value name longer than {MAX_VALUE_NAME}"),
                            None,
                        ));
                    } else if !seen.insert(name.to_lowercase()) {
                        problems.push(problem(
                            Some(id),
                            format!("element `{id}` names the value `{name}` twice"),
                            None,
                        ));
                    } else {
                        out.push(Write {
                            key,
                            value_name: name,
                            value: Some(text(&v)),
                        });
                    }
                }
            }
            (
                ElementKind::MultiText {
                    max_length,
                    max_strings,
                    ..
                },
                Input::Texts(list),
            ) => {
                if *max_strings > 0 && list.len() > *max_strings as usize {
                    problems.push(problem(
                        Some(id),
                        format!("element `{id}` takes at most {max_strings} strings"),
                        None,
                    ));
                } else if list.iter().any(String::is_empty) {
                    problems.push(problem(
                        Some(id),
                        format!("element `{id}` has an empty string (REG_MULTI_SZ ends at one)"),
                        None,
                    ));
                } else if list
                    .iter()
                    .any(|s| s.chars().count() > *max_length as usize)
                {
                    problems.push(problem(
                        Some(id),
                        format!("element `{id}` takes strings of at most {max_length} characters"),
                        None,
                    ));
                } else {
                    out.push(set(RegistryValue::MultiSz(list.clone())));
                }
            }
            (ElementKind::MultiText { .. }, other) => {
                problems.push(wrong(other, "a list of strings"))
            }
        }
    }
}

/// An element's kind and range, for messages and `explain`.
#[must_use]
pub fn describe(kind: &ElementKind) -> String {
    match kind {
        ElementKind::Boolean { .. } => "true or false".into(),
        ElementKind::Decimal {
            min,
            max,
            store_as_text,
            ..
        } => format!(
            "a number {min} to {max}, written as {}",
            if *store_as_text {
                "REG_SZ"
            } else {
                "REG_DWORD"
            }
        ),
        ElementKind::LongDecimal { min, max, .. } => {
            format!("a number {min} to {max}, written as REG_QWORD")
        }
        ElementKind::Text {
            max_length,
            expandable,
            ..
        } => format!(
            "a string of at most {max_length} characters, written as {}",
            if *expandable {
                "REG_EXPAND_SZ"
            } else {
                "REG_SZ"
            }
        ),
        ElementKind::Enum { items, .. } => format!(
            "one of {}",
            items
                .iter()
                .map(|i| match i.value {
                    Value::Decimal(n) => format!("{} ({n})", i.name),
                    Value::LongDecimal(n) => format!("{} ({n})", i.name),
                    Value::String(s) => format!("{} (\"{s}\")", i.name),
                    Value::Delete => format!("{} (deletes the value)", i.name),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ElementKind::List {
            value_prefix,
            explicit_value,
            ..
        } => match (explicit_value, value_prefix) {
            (true, _) => "a map of value names to strings".into(),
            (false, Some(p)) => format!("a list of strings, written as values {p}1, {p}2, …"),
            (false, None) => "a list of strings, each written as a value of its own name".into(),
        },
        ElementKind::MultiText { .. } => "a list of strings, written as REG_MULTI_SZ".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"><policies>"#;

    fn def(body: &str) -> Policy {
        let mut all = super::super::parse(
            &format!("{HEAD}{body}</policies></policyDefinitions>"),
            "T.admx",
        )
        .expect("parses");
        all.remove(0)
    }

    fn values(pairs: &[(&str, Input)]) -> BTreeMap<String, Input> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    fn shown(w: &[Write]) -> Vec<String> {
        w.iter()
            .map(|w| match &w.value {
                Some(v) => format!("{}\\{}={v:?}", w.key, w.value_name),
                None => format!("{}\\{} deleted", w.key, w.value_name),
            })
            .collect()
    }

    #[test]
    fn a_value_name_without_values_writes_one_or_deletes() {
        let p =
            def(r#"<policy name="P" class="Machine" key="Software\Policies\T\" valueName="V"/>"#);
        let on = writes(&p, State::Enabled, &BTreeMap::new()).unwrap();
        assert_eq!(shown(&on), [r"Software\Policies\T\V=Dword(1)"]);
        let off = writes(&p, State::Disabled, &BTreeMap::new()).unwrap();
        assert_eq!(shown(&off), [r"Software\Policies\T\V deleted"]);
    }

    #[test]
    fn elements_write_their_types() {
        let p = def(
            r#"<policy name="P" class="Both" key="Software\Policies\T"><elements>
                 <decimal id="D" valueName="d" storeAsText="true" maxValue="50"/>
                 <longDecimal id="Q" valueName="q" maxValue="99999999999"/>
                 <text id="X" valueName="x" expandable="true"/>
                 <boolean id="B" valueName="b"/>
                 <list id="L" key="Software\Policies\T\L" additive="true"/>
                 <list id="N" key="Software\Policies\T\N" additive="true" explicitValue="true"/>
               </elements></policy>"#,
        );
        let w = writes(
            &p,
            State::Enabled,
            &values(&[
                ("D", Input::Number(42)),
                ("Q", Input::Number(10_000_000_000)),
                ("X", Input::Text("%SystemRoot%".into())),
                ("B", Input::Flag(false)),
                ("L", Input::Texts(vec!["a".into(), "b".into()])),
                (
                    "N",
                    Input::Named(BTreeMap::from([("k".to_string(), "v".to_string())])),
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            shown(&w),
            [
                r#"Software\Policies\T\d=Sz("42")"#,
                r"Software\Policies\T\q=Qword(10000000000)",
                r#"Software\Policies\T\x=ExpandSz("%SystemRoot%")"#,
                r"Software\Policies\T\b deleted",
                r#"Software\Policies\T\L\a=Sz("a")"#,
                r#"Software\Policies\T\L\b=Sz("b")"#,
                r#"Software\Policies\T\N\k=Sz("v")"#,
            ]
        );
        // Disabled deletes the element values; lists would be cleared, which is refused.
        let e = writes(&p, State::Disabled, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e.iter().all(|p| p.message.contains("clears the key")));
    }

    #[test]
    fn refusals_name_the_element() {
        let p = def(
            r#"<policy name="P" class="Machine" key="Software\Policies\T"><elements>
                 <decimal id="D" valueName="d" minValue="5" maxValue="10"/>
                 <text id="S" valueName="s" soft="true"/>
                 <list id="L" key="Software\Policies\T\L"/>
               </elements></policy>"#,
        );
        let e = writes(
            &p,
            State::Enabled,
            &values(&[
                ("D", Input::Number(11)),
                ("L", Input::Texts(vec!["x".into()])),
                ("Z", Input::Flag(true)),
            ]),
        )
        .unwrap_err();
        let messages: Vec<&str> = e.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "T/P has no element `Z`",
                "element `D` takes 5 to 10, not 11",
                "element `S` is soft (written only where no value exists), which rdpgen cannot enforce or audit",
                "element `L` replaces its key's values (Registry.pol `**delvals.`), which rdpgen does not write",
            ]
        );
        let user =
            def(r#"<policy name="U" class="User" key="Software\Policies\T" valueName="v"/>"#);
        assert!(writes(&user, State::Enabled, &BTreeMap::new()).is_err());
    }
}
