//! Cross-checks every catalog row that claims an ADMX policy against Microsoft's ADMX files in
//! `../shared/reference/admx`: same class, key, value name, value type, enabled/disabled data,
//! element ids and enum items. Any mismatch fails the test.

use std::collections::BTreeMap;
use std::path::PathBuf;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Class, Data, Element, Mapping, SESSION_DURATIONS, SETTINGS, ValueType};

/// A minimal element tree: name, attributes, children, text.
#[derive(Debug, Default)]
struct XmlNode {
    name: String,
    attrs: BTreeMap<String, String>,
    children: Vec<XmlNode>,
    text: String,
}

impl XmlNode {
    fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
    fn descendants<'a>(&'a self, name: &'a str, out: &mut Vec<&'a XmlNode>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.descendants(name, out);
        }
    }
}

fn parse_xml(text: &str) -> XmlNode {
    let mut reader = Reader::from_str(text);
    let mut stack = vec![XmlNode::default()];
    loop {
        match reader
            .read_event()
            .expect("Microsoft's ADMX is well-formed")
        {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let node = element(&e);
                stack.last_mut().unwrap().children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(node);
            }
            Event::Text(t) => {
                let s = t.as_ref().to_string();
                stack.last_mut().unwrap().text.push_str(s.trim());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap()
}

fn element(e: &quick_xml::events::BytesStart<'_>) -> XmlNode {
    let name = e.local_name().as_ref().to_string();
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("attribute parses");
            (a.key.local_name().as_ref().to_string(), a.value.to_string())
        })
        .collect();
    XmlNode {
        name,
        attrs,
        ..XmlNode::default()
    }
}

/// The data inside `<enabledValue>`, `<value>` and the like.
fn data_of(node: &XmlNode) -> Option<Data> {
    let inner = node.children.first()?;
    match inner.name.as_str() {
        "decimal" => Some(Data::Dword(inner.attr("value")?.parse().ok()?)),
        "string" => Some(Data::Sz(Box::leak(inner.text.clone().into_boxed_str()))),
        _ => None,
    }
}

fn admx_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/admx");
    crate::reference_material::available("../shared/reference/admx", dir.is_dir()).then_some(dir)
}

#[test]
fn catalog_matches_microsoft_admx() {
    let Some(dir) = admx_dir() else {
        return;
    };
    let mut files: BTreeMap<&str, XmlNode> = BTreeMap::new();
    let mut mismatches: Vec<String> = Vec::new();
    let mut checked = 0;
    let mut not_in_reference = 0;
    for setting in SETTINGS {
        let Some(claim) = setting.policy else {
            continue;
        };
        if !dir.join(claim.file).is_file() {
            // Only RemoteAssistance.admx may be missing: its rows cite Microsoft's
            // documentation instead (see `settings::RA_ADMX`).
            assert_eq!(
                claim.file,
                super::settings::RA_ADMX,
                "{}: {} is not in ../shared/reference/admx",
                setting.field,
                claim.file
            );
            assert!(
                setting.explanation.contains("Policy CSP documentation"),
                "{}: say where the values come from",
                setting.field
            );
            not_in_reference += 1;
            continue;
        }
        let root = files.entry(claim.file).or_insert_with(|| {
            let text = std::fs::read_to_string(dir.join(claim.file))
                .unwrap_or_else(|e| panic!("{}: {e}", claim.file));
            parse_xml(text.trim_start_matches('\u{feff}'))
        });
        let mut policies = Vec::new();
        root.descendants("policy", &mut policies);
        let class = match claim.class {
            Class::Machine => "Machine",
            Class::User => "User",
        };
        // A policy of class `Both` (the clipboard restrictions) has a Machine half.
        let Some(p) = policies.iter().find(|p| {
            p.attr("name") == Some(claim.id)
                && (p.attr("class") == Some(class) || p.attr("class") == Some("Both"))
        }) else {
            mismatches.push(format!(
                "{}: no {class} policy `{}` in {}",
                setting.field, claim.id, claim.file
            ));
            continue;
        };
        checked += 1;
        let mut expect = |what: &str, ours: String, theirs: String| {
            if ours != theirs {
                mismatches.push(format!(
                    "{} ({}): {what}: catalog {ours}, ADMX {theirs}",
                    setting.field, claim.id
                ));
            }
        };
        expect("key", claim.key.into(), p.attr("key").unwrap_or("").into());
        expect(
            "supportedOn",
            claim.supported_on.into(),
            p.child("supportedOn")
                .and_then(|s| s.attr("ref"))
                .unwrap_or("")
                .into(),
        );

        // Where the ADMX puts this value: on the policy itself, in an enabled/disabled list, or
        // in an element.
        let list_item = |list: &str| -> Option<Data> {
            let l = p.child(list)?;
            let item = l
                .children
                .iter()
                .find(|i| i.attr("valueName") == Some(claim.value_name))?;
            data_of(item.child("value")?)
        };
        let own = p.attr("valueName") == Some(claim.value_name);
        let enabled = if own {
            p.child("enabledValue").and_then(data_of)
        } else {
            list_item("enabledList")
        };
        let disabled = if own {
            p.child("disabledValue").and_then(data_of)
        } else {
            list_item("disabledList")
        };
        expect(
            "enabled",
            format!("{:?}", claim.enabled),
            format!("{enabled:?}"),
        );
        expect(
            "disabled",
            format!("{:?}", claim.disabled),
            format!("{disabled:?}"),
        );

        let elements: Vec<&XmlNode> = p
            .child("elements")
            .map(|e| e.children.iter().collect())
            .unwrap_or_default();
        let element_value = match claim.element {
            Some(Element::Decimal { value_name, .. }) => value_name,
            _ => claim.value_name,
        };
        let element = elements
            .iter()
            .find(|e| e.attr("valueName") == Some(element_value));
        match (claim.element, element) {
            (None, None) => {
                expect(
                    "value name on the policy or its lists",
                    "present".into(),
                    if own || enabled.is_some() {
                        "present".into()
                    } else {
                        "absent".into()
                    },
                );
            }
            (Some(Element::Enum { id, items }), Some(e)) => {
                expect(
                    "element",
                    format!("enum {id}"),
                    format!("{} {}", e.name, e.attr("id").unwrap_or("")),
                );
                let theirs: Vec<u32> = e
                    .children
                    .iter()
                    .filter_map(|item| item.child("value").and_then(data_of))
                    .filter_map(|d| match d {
                        Data::Dword(v) => Some(v),
                        Data::Sz(_) => None,
                    })
                    .collect();
                expect("enum items", format!("{items:?}"), format!("{theirs:?}"));
            }
            (Some(Element::Text { id }), Some(e)) => {
                expect(
                    "element",
                    format!("text {id}"),
                    format!("{} {}", e.name, e.attr("id").unwrap_or("")),
                );
            }
            (Some(Element::Decimal { id, min, max, .. }), Some(e)) => {
                expect(
                    "element",
                    format!("decimal {id} {min}..{max}"),
                    format!(
                        "{} {} {}..{}",
                        e.name,
                        e.attr("id").unwrap_or(""),
                        e.attr("minValue").unwrap_or(""),
                        e.attr("maxValue").unwrap_or("")
                    ),
                );
            }
            (ours, theirs) => expect(
                "element",
                format!("{ours:?}"),
                format!("{:?}", theirs.map(|e| &e.name)),
            ),
        }

        // The type the Enabled state writes.
        let admx_type = match (enabled, element.map(|e| e.name.as_str())) {
            (Some(Data::Dword(_)), _) | (None, Some("enum" | "decimal")) => ValueType::Dword,
            (Some(Data::Sz(_)), _) | (None, Some("text")) => ValueType::Sz,
            _ => ValueType::Binary,
        };
        expect(
            "value type",
            claim.value_type.as_str().into(),
            admx_type.as_str().into(),
        );

        // Language values must map onto ADMX items.
        match setting.mapping {
            Mapping::Enum(values) => {
                if let Some(Element::Enum { items, .. }) = claim.element {
                    for (name, v) in values {
                        if !items.contains(v) {
                            mismatches.push(format!(
                                "{}: `{name}` writes {v}, not an ADMX item",
                                setting.field
                            ));
                        }
                    }
                }
            }
            Mapping::Duration => {
                let ours: Vec<u32> = SESSION_DURATIONS.iter().map(|(_, v)| *v).collect();
                if let Some(Element::Enum { items, .. }) = claim.element {
                    expect("durations", format!("{ours:?}"), format!("{items:?}"));
                }
            }
            Mapping::Bool { .. } if claim.enabled.is_none() => {
                mismatches.push(format!(
                    "{}: a boolean field needs enabled/disabled data",
                    setting.field
                ));
            }
            _ => {}
        }
    }
    eprintln!(
        "ADMX cross-check: {checked} catalog policies checked, {not_in_reference} from an ADMX \
         not in the reference set, {} mismatches",
        mismatches.len()
    );
    assert_eq!(not_in_reference, 2, "only the two Remote Assistance rows");
    assert!(
        mismatches.is_empty(),
        "catalog and ADMX disagree:\n{}",
        mismatches.join("\n")
    );
    assert!(checked >= 41, "only {checked} policies were checked");
}

#[test]
fn the_parser_reads_inverted_policies() {
    // The reader must see the inverted data of TS_SMART_CARD, or the comparison above is moot.
    let Some(dir) = admx_dir() else { return };
    let text = std::fs::read_to_string(dir.join("TerminalServer.admx")).unwrap();
    let root = parse_xml(text.trim_start_matches('\u{feff}'));
    let mut policies = Vec::new();
    root.descendants("policy", &mut policies);
    let p = policies
        .iter()
        .find(|p| p.attr("name") == Some("TS_SMART_CARD"))
        .unwrap();
    let data = p.child("enabledValue").and_then(data_of);
    // fEnableSmartCard is inverted: Enabled ("do not allow") writes 0.
    assert_eq!(data, Some(Data::Dword(0)));
    assert_ne!(data, Some(Data::Dword(1)));
}
