//! The policy language reference ships in the repository (`docs/policy-language.md`) and
//! cannot go stale: it is generated from the catalog, compared with the committed file, and
//! every field of the JSON Schema must have its entry.

use crate::repo;

/// Every leaf field of the schema, dotted (`security.layer`), as the explain test walks it.
fn schema_fields() -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("policies/rdpgen.schema.json")).unwrap(),
    )
    .unwrap();
    let defs = &schema["$defs"];
    let mut out = Vec::new();
    fn walk(
        node: &serde_json::Value,
        defs: &serde_json::Value,
        prefix: &str,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        let resolve = |n: &serde_json::Value| -> serde_json::Value {
            let r = n
                .get("$ref")
                .or_else(|| n.get("anyOf").and_then(|a| a[0].get("$ref")))
                .and_then(|r| r.as_str());
            match r {
                Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
                None => n.clone(),
            }
        };
        let node = resolve(node);
        match node.get("properties").and_then(|p| p.as_object()) {
            Some(props) if depth < 3 => {
                for (k, v) in props {
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, defs, &name, out, depth + 1);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    walk(&schema, defs, "", &mut out, 0);
    out.retain(|f| !["rdpgen", "name", "description", "extends"].contains(&f.as_str()));
    out
}

#[test]
fn the_language_reference_is_generated_and_complete() {
    let got = rdpgen::explain::language_reference();
    crate::assert_snapshot("docs/policy-language.md", &got);
    let fields = schema_fields();
    assert!(fields.len() >= 40, "{fields:?}");
    for f in fields {
        assert!(
            got.contains(&format!("### `{f}`")),
            "docs/policy-language.md has no entry for `{f}`"
        );
    }
}
