//! Diagnostics as values: a stable code, a severity, a message and a location. Rendering (text
//! with a caret snippet, or JSON) is separate from finding them.

mod code;
mod render;
mod suggest;

pub use code::Code;
pub use render::{render_github, render_json, render_sarif, render_text, uri_reference};
pub use suggest::suggest;

use crate::source::Location;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// `None` only for problems that concern no particular place in a file.
    pub location: Option<Location>,
    /// The label under the caret.
    pub label: Option<String>,
    /// A suggestion or explanation printed after the snippet.
    pub help: Option<String>,
}

impl Diagnostic {
    #[must_use]
    pub fn new(code: Code, message: impl Into<String>, location: Option<Location>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            location,
            label: None,
            help: None,
        }
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
