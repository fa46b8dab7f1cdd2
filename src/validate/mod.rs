//! Validation: a loaded chain of documents becomes one valid [`Policy`] plus diagnostics.
//! Each file is checked against the JSON Schema, the files are merged in `extends` order, and
//! the RDP-aware rules of the language run on the merged policy.

mod editor;
pub(crate) mod rules;
pub(crate) mod schema;

use crate::diagnostic::Diagnostic;
use crate::policy::{Chain, Policy, TreeNode, TreeValue};
use crate::source::FileId;

/// The outcome of validating one policy file with its bases.
#[derive(Debug)]
pub struct Validated {
    /// The file named on the command line.
    pub root: Option<FileId>,
    /// The merged policy; `None` when any error was found.
    pub policy: Option<Policy>,
    /// The merged tree with provenance; `None` when a file could not be parsed or failed the
    /// schema.
    pub merged: Option<TreeNode>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Validated {
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Validates a chain produced by [`crate::policy::load_chain`].
#[must_use]
pub fn validate(chain: Chain) -> Validated {
    let Chain {
        documents,
        mut diagnostics,
    } = chain;
    let root = documents.last().map(|d| d.file);
    for doc in &documents {
        diagnostics.extend(schema::check(&doc.tree));
    }
    if diagnostics.iter().any(Diagnostic::is_error) || documents.is_empty() {
        return Validated {
            root,
            policy: None,
            merged: None,
            diagnostics,
        };
    }
    let merged = merge(&documents);
    let policy = match serde_json::from_value::<Policy>(merged.to_json()) {
        Ok(policy) => policy,
        Err(e) => {
            // The schema is generated from the same types, so this is a bug in rdpgen; still a
            // diagnostic rather than a panic.
            diagnostics.push(Diagnostic::new(
                crate::diagnostic::Code::InvalidValue,
                format!("the merged policy is not valid: {e}"),
                Some(merged.location),
            ));
            return Validated {
                root,
                policy: None,
                merged: Some(merged),
                diagnostics,
            };
        }
    };
    diagnostics.extend(rules::check(&policy, &merged));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Validated {
        root,
        policy: (!has_errors).then_some(policy),
        merged: Some(merged),
        diagnostics,
    }
}

/// Merges documents in order; `extends` itself belongs to each file and is not merged.
#[allow(
    clippy::expect_used,
    reason = "the only caller returns early on an empty chain"
)]
fn merge(documents: &[crate::policy::Document]) -> TreeNode {
    let mut iter = documents.iter().map(|d| {
        let mut tree = d.tree.clone();
        if let TreeValue::Map(map) = &mut tree.value {
            map.remove("extends");
        }
        tree
    });
    let mut merged = iter
        .next()
        .expect("merge is called with at least one document");
    for tree in iter {
        merged.merge(tree);
    }
    merged
}

pub use crate::diagnostic::suggest;
