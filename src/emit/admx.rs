//! `admx/rdpgen.admx` and `admx/en-US/rdpgen.adml`: a custom administrative template for the
//! settings no Microsoft ADMX covers, rendered from [`crate::catalog::custom_admx`].
//!
//! The template is the same for every policy (it describes settings, not their values), so the
//! files of all policies are identical and one copy goes to the central store. Both files are
//! UTF-8 with a byte-order mark and CRLF line ends, as Windows ships its own templates, and
//! follow the element order of Microsoft's ADMX schema (`PolicyDefinitionFiles.xsd`). Every
//! `$(string.X)` and `$(presentation.X)` the ADMX uses is defined in the ADML.

use super::{Artifact, EmitError, Target};
use crate::catalog::custom_admx::{self, CATEGORIES, CustomPolicy, CustomValue, SUPPORTED_ON};
use crate::formats::xml::{XmlError, XmlWriter, utf8_with_bom};
use crate::model::Model;

/// Whether this back end is finished.
pub const AVAILABLE: bool = true;

const SCHEMA_NAMESPACE: &str = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";

/// Line break plus indentation of `depth` levels (two spaces each).
fn nl(w: &mut XmlWriter, depth: usize) {
    const INDENT: [&str; 7] = [
        "\r\n",
        "\r\n  ",
        "\r\n    ",
        "\r\n      ",
        "\r\n        ",
        "\r\n          ",
        "\r\n            ",
    ];
    w.raw(INDENT[depth.min(INDENT.len() - 1)]);
}

fn string_ref(id: &str) -> String {
    format!("$(string.{id})")
}

fn decimal_value(w: &mut XmlWriter, depth: usize, value: u32) {
    nl(w, depth);
    w.open("value", &[]);
    w.empty("decimal", &[("value", &value.to_string())]);
    w.close("value");
}

fn value_list(
    w: &mut XmlWriter,
    depth: usize,
    element: &'static str,
    key: &str,
    items: &[(&'static str, u32)],
) {
    nl(w, depth);
    w.open(element, &[]);
    for (value_name, data) in items {
        nl(w, depth + 1);
        w.open("item", &[("key", key), ("valueName", value_name)]);
        decimal_value(w, depth + 2, *data);
        nl(w, depth + 1);
        w.close("item");
    }
    nl(w, depth);
    w.close(element);
}

fn policy(w: &mut XmlWriter, p: &CustomPolicy) {
    let display = string_ref(&p.name);
    let explain = string_ref(&p.explain_id());
    let presentation = format!("$(presentation.{})", p.name);
    let mut attributes: Vec<(&'static str, &str)> = vec![
        ("name", &p.name),
        ("class", "Machine"),
        ("displayName", &display),
        ("explainText", &explain),
    ];
    if matches!(p.value, CustomValue::Decimal { .. }) {
        attributes.push(("presentation", &presentation));
    }
    // No policy-level `valueName`: a decimal policy is elements only (as Microsoft's
    // TS_MAXDISPLAYRES), a switch is its enabledList/disabledList.
    attributes.push(("key", &p.key));
    nl(w, 2);
    w.open("policy", &attributes);
    nl(w, 3);
    w.empty("parentCategory", &[("ref", p.category)]);
    nl(w, 3);
    w.empty("supportedOn", &[("ref", p.supported_on)]);
    match &p.value {
        CustomValue::Decimal {
            value_name,
            element_id,
            min,
            max,
            ..
        } => {
            nl(w, 3);
            w.open("elements", &[]);
            nl(w, 4);
            w.empty(
                "decimal",
                &[
                    ("id", element_id),
                    ("valueName", value_name),
                    ("required", "true"),
                    ("minValue", &min.to_string()),
                    ("maxValue", &max.to_string()),
                ],
            );
            nl(w, 3);
            w.close("elements");
        }
        CustomValue::Switch { enabled, disabled } => {
            value_list(w, 3, "enabledList", &p.key, enabled);
            value_list(w, 3, "disabledList", &p.key, disabled);
        }
    }
    nl(w, 2);
    w.close("policy");
}

/// The ADMX document.
///
/// # Errors
/// Only if a catalog string could not be written as XML (a bug).
pub fn admx_text() -> Result<String, XmlError> {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n");
    w.comment(" rdpgen administrative template: Remote Desktop settings that no Microsoft ADMX covers. Generated; do not edit. ");
    nl(&mut w, 0);
    w.open(
        "policyDefinitions",
        &[
            ("revision", custom_admx::REVISION),
            ("schemaVersion", "1.0"),
            ("xmlns", SCHEMA_NAMESPACE),
        ],
    );
    nl(&mut w, 1);
    w.open("policyNamespaces", &[]);
    nl(&mut w, 2);
    w.empty(
        "target",
        &[
            ("prefix", custom_admx::PREFIX),
            ("namespace", custom_admx::NAMESPACE),
        ],
    );
    nl(&mut w, 1);
    w.close("policyNamespaces");
    nl(&mut w, 1);
    w.empty(
        "resources",
        &[
            ("minRequiredRevision", custom_admx::REVISION),
            ("fallbackCulture", "en-US"),
        ],
    );
    nl(&mut w, 1);
    w.open("supportedOn", &[]);
    nl(&mut w, 2);
    w.open("definitions", &[]);
    for s in SUPPORTED_ON {
        nl(&mut w, 3);
        w.empty(
            "definition",
            &[("name", s.name), ("displayName", &string_ref(s.name))],
        );
    }
    nl(&mut w, 2);
    w.close("definitions");
    nl(&mut w, 1);
    w.close("supportedOn");
    nl(&mut w, 1);
    w.open("categories", &[]);
    for c in CATEGORIES {
        nl(&mut w, 2);
        let display = string_ref(c.name);
        let attributes = [("name", c.name), ("displayName", display.as_str())];
        match c.parent {
            None => {
                w.empty("category", &attributes);
            }
            Some(parent) => {
                w.open("category", &attributes);
                nl(&mut w, 3);
                w.empty("parentCategory", &[("ref", parent)]);
                nl(&mut w, 2);
                w.close("category");
            }
        }
    }
    nl(&mut w, 1);
    w.close("categories");
    nl(&mut w, 1);
    w.open("policies", &[]);
    for p in custom_admx::policies() {
        policy(&mut w, &p);
    }
    nl(&mut w, 1);
    w.close("policies");
    nl(&mut w, 0);
    w.close("policyDefinitions");
    nl(&mut w, 0);
    w.finish()
}

/// The en-US ADML document.
///
/// # Errors
/// Only if a catalog string could not be written as XML (a bug).
pub fn adml_text() -> Result<String, XmlError> {
    let mut w = XmlWriter::new();
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n");
    w.comment(" rdpgen administrative template, en-US resources. Generated; do not edit. ");
    nl(&mut w, 0);
    w.open(
        "policyDefinitionResources",
        &[
            ("revision", custom_admx::REVISION),
            ("schemaVersion", "1.0"),
            ("xmlns", SCHEMA_NAMESPACE),
        ],
    );
    nl(&mut w, 1);
    w.text_element("displayName", &[], custom_admx::DISPLAY_NAME);
    nl(&mut w, 1);
    w.text_element("description", &[], custom_admx::DESCRIPTION);
    nl(&mut w, 1);
    w.open("resources", &[]);
    nl(&mut w, 2);
    w.open("stringTable", &[]);
    for c in CATEGORIES {
        nl(&mut w, 3);
        w.text_element("string", &[("id", c.name)], c.display_name);
    }
    for s in SUPPORTED_ON {
        nl(&mut w, 3);
        w.text_element("string", &[("id", s.name)], s.display_name);
    }
    let policies = custom_admx::policies();
    for p in &policies {
        nl(&mut w, 3);
        w.text_element("string", &[("id", &p.name)], &p.display_name);
        nl(&mut w, 3);
        w.text_element("string", &[("id", &p.explain_id())], &p.explain);
    }
    nl(&mut w, 2);
    w.close("stringTable");
    nl(&mut w, 2);
    w.open("presentationTable", &[]);
    for p in &policies {
        if let CustomValue::Decimal {
            element_id,
            default,
            label,
            ..
        } = &p.value
        {
            nl(&mut w, 3);
            w.open("presentation", &[("id", &p.name)]);
            nl(&mut w, 4);
            w.text_element(
                "decimalTextBox",
                &[
                    ("refId", element_id),
                    ("defaultValue", &default.to_string()),
                    ("spin", "false"),
                ],
                label,
            );
            nl(&mut w, 3);
            w.close("presentation");
        }
    }
    nl(&mut w, 2);
    w.close("presentationTable");
    nl(&mut w, 1);
    w.close("resources");
    nl(&mut w, 0);
    w.close("policyDefinitionResources");
    nl(&mut w, 0);
    w.finish()
}

pub fn emit(_model: &Model) -> Result<Vec<Artifact>, EmitError> {
    let error = |e: XmlError| EmitError::Target {
        target: Target::Admx,
        message: e.to_string(),
    };
    let stem = custom_admx::FILE_STEM;
    Ok(vec![
        Artifact {
            path: format!("admx/{stem}.admx"),
            bytes: utf8_with_bom(&admx_text().map_err(error)?),
        },
        Artifact {
            path: format!("admx/en-US/{stem}.adml"),
            bytes: utf8_with_bom(&adml_text().map_err(error)?),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::xml::parse;

    /// Every `$(string.X)` / `$(presentation.X)` of the ADMX is defined in the ADML.
    #[test]
    fn every_reference_resolves() {
        let admx = parse(&admx_text().unwrap()).unwrap();
        let adml = parse(&adml_text().unwrap()).unwrap();
        let resources = adml.element("resources").unwrap();
        let strings: Vec<&str> = resources
            .element("stringTable")
            .unwrap()
            .elements_named("string")
            .filter_map(|s| s.attribute("id"))
            .collect();
        let presentations: Vec<&str> = resources
            .element("presentationTable")
            .unwrap()
            .elements_named("presentation")
            .filter_map(|s| s.attribute("id"))
            .collect();
        let mut checked = 0;
        for element in admx.descendants() {
            for (_, value) in &element.attributes {
                if let Some(id) = value
                    .strip_prefix("$(string.")
                    .and_then(|v| v.strip_suffix(')'))
                {
                    assert!(strings.contains(&id), "{id}");
                    checked += 1;
                }
                if let Some(id) = value
                    .strip_prefix("$(presentation.")
                    .and_then(|v| v.strip_suffix(')'))
                {
                    assert!(presentations.contains(&id), "{id}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 10);
    }

    #[test]
    fn layout_is_crlf_and_policies_are_machine_class() {
        let text = admx_text().unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        let admx = parse(&text).unwrap();
        let policies: Vec<_> = admx
            .element("policies")
            .unwrap()
            .elements_named("policy")
            .collect();
        assert_eq!(policies.len(), custom_admx::policies().len());
        assert!(
            policies
                .iter()
                .all(|p| p.attribute("class") == Some("Machine"))
        );
    }

    /// The parts of a policy that decide how Group Policy reads its state back: the
    /// policy-level `valueName`, which of `enabledValue`/`disabledValue`/`enabledList`/
    /// `disabledList`/`elements` it has, the element kinds, and whether an element shares
    /// the policy-level value name.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Shape {
        policy_value_name: bool,
        parts: Vec<&'static str>,
        element_kinds: Vec<String>,
        element_shares_policy_value: bool,
    }

    fn shape(policy: &crate::formats::xml::Element) -> Shape {
        let value_name = policy.attribute("valueName");
        let parts = [
            "enabledValue",
            "disabledValue",
            "enabledList",
            "disabledList",
            "elements",
        ]
        .into_iter()
        .filter(|p| policy.element(p).is_some())
        .collect();
        let elements: Vec<_> = policy
            .element("elements")
            .map(|e| e.elements().collect())
            .unwrap_or_default();
        let mut element_kinds: Vec<String> = elements
            .iter()
            .map(|e| e.local_name().to_string())
            .collect();
        element_kinds.sort();
        element_kinds.dedup();
        let element_shares_policy_value = value_name.is_some_and(|v| {
            elements.iter().any(|e| {
                e.attribute("valueName")
                    .is_some_and(|n| n.eq_ignore_ascii_case(v))
            })
        });
        Shape {
            policy_value_name: value_name.is_some(),
            parts,
            element_kinds,
            element_shares_policy_value,
        }
    }

    /// Every policy of rdpgen's template has a shape that Microsoft's own Machine policies use
    /// (in `../shared/reference/admx`), so the Group Policy editor and gpreport read its state
    /// the way they read Microsoft's.
    #[test]
    fn every_custom_policy_has_a_shape_microsoft_uses() {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/admx");
        if !crate::reference_material::available("../shared/reference/admx", dir.is_dir()) {
            return;
        }
        let mut microsoft = std::collections::BTreeMap::<Shape, Vec<String>>::new();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("admx"))
            })
            .collect();
        files.sort();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let root = parse(text.trim_start_matches('\u{feff}')).unwrap();
            for p in root.element("policies").unwrap().elements_named("policy") {
                if matches!(p.attribute("class"), Some("Machine" | "Both")) {
                    microsoft
                        .entry(shape(p))
                        .or_default()
                        .push(p.attribute("name").unwrap_or("?").to_string());
                }
            }
        }
        let total: usize = microsoft.values().map(Vec::len).sum();
        assert!(total >= 140, "{total} Microsoft Machine policies read");
        // The shape the listener port used to have does not occur in Microsoft's templates.
        assert!(microsoft.keys().all(|s| !s.element_shares_policy_value));
        assert!(microsoft.iter().any(|(s, names)| s.parts == ["elements"]
            && !s.policy_value_name
            && names.iter().any(|n| n == "TS_MAXDISPLAYRES")));

        let ours = parse(&admx_text().unwrap()).unwrap();
        let mut checked = 0;
        for p in ours.element("policies").unwrap().elements_named("policy") {
            let s = shape(p);
            let name = p.attribute("name").unwrap();
            let like = microsoft
                .get(&s)
                .unwrap_or_else(|| panic!("{name}: shape {s:?} is used by no Microsoft policy"));
            assert!(!like.is_empty());
            checked += 1;
        }
        assert_eq!(checked, custom_admx::policies().len());
    }
}
