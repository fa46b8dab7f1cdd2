//! The one way from policy text to a [`Model`]: load the file and its `extends` chain, validate
//! (schema per file, merge, rules), lower. Every command, the fuzz targets and the tests go
//! through [`check`] (load + validate) or [`compile`] (and lower), from a path, standard input
//! or a string ([`compile_str`]).

use std::path::Path;

use crate::lower::{LowerError, lower};
use crate::model::Model;
use crate::policy::{Chain, ReadError, load_chain, load_chain_from_bytes, load_chain_from_stdin};
use crate::source::Sources;
use crate::validate::{Validated, validate};

/// Where the policy text comes from.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A policy file on disk.
    File(&'a Path),
    /// Standard input, named `<stdin>`, relative `extends` resolved from the working directory.
    Stdin,
    /// Text held in memory, named `name`, as if it were a file of that name in `dir`.
    Text {
        name: &'a str,
        text: &'a [u8],
        dir: &'a Path,
    },
}

impl<'a> Input<'a> {
    /// A command-line argument: `-` is standard input, anything else a file.
    #[must_use]
    pub fn from_arg(path: &'a Path) -> Self {
        if path.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::File(path)
        }
    }

    fn load(self, sources: &mut Sources) -> Result<Chain, ReadError> {
        match self {
            Self::File(path) => load_chain(path, sources),
            Self::Stdin => load_chain_from_stdin(sources),
            Self::Text { name, text, dir } => Ok(load_chain_from_bytes(name, text, dir, sources)),
        }
    }
}

/// A validated policy and, when it has no errors, its model (or why lowering failed: a bug,
/// since validation is documented to rule it out, reported rather than panicking).
#[derive(Debug)]
pub struct Compiled {
    pub validated: Validated,
    pub model: Option<Result<Model, LowerError>>,
}

/// Loads and validates. The source texts are added to `sources` for rendering diagnostics.
///
/// # Errors
/// Only when the named file (or standard input) cannot be read at all.
pub fn check(input: Input<'_>, sources: &mut Sources) -> Result<Validated, ReadError> {
    Ok(validate(input.load(sources)?))
}

/// Loads, validates and, when the policy has no errors, lowers it.
///
/// # Errors
/// As [`check`].
pub fn compile(input: Input<'_>, sources: &mut Sources) -> Result<Compiled, ReadError> {
    let validated = check(input, sources)?;
    let model = match &validated.policy {
        Some(policy) if !validated.has_errors() => Some(lower(policy)),
        _ => None,
    };
    Ok(Compiled { validated, model })
}

/// Compiles policy text held in memory, named `<string>`; relative `extends` resolve from the
/// working directory. Returns the sources for rendering its diagnostics.
#[must_use]
pub fn compile_str(text: &str) -> (Sources, Compiled) {
    let mut sources = Sources::default();
    let input = Input::Text {
        name: "<string>",
        text: text.as_bytes(),
        dir: Path::new("."),
    };
    let compiled = match compile(input, &mut sources) {
        Ok(c) => c,
        // Text in memory is never unreadable.
        Err(_) => unreachable!("loading text from memory reads no file"),
    };
    (sources, compiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_compiles_to_the_model_its_file_gives() {
        let text = "rdpgen: 1\nname: from-string\nsecurity:\n  nla: true\n";
        let (_, compiled) = compile_str(text);
        let model = compiled.model.expect("valid").expect("lowers");
        assert_eq!(model.name, "from-string");

        let dir = std::env::temp_dir().join(format!("rdpgen-compile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.yaml");
        std::fs::write(&path, text).unwrap();
        let mut sources = Sources::default();
        let from_file = compile(Input::File(&path), &mut sources).unwrap();
        let file_model = from_file.model.expect("valid").expect("lowers");
        assert_eq!(format!("{model:?}"), format!("{file_model:?}"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_invalid_string_gives_diagnostics_and_no_model() {
        let (sources, compiled) =
            compile_str("rdpgen: 1\nname: x\nsecurity:\n  layer: rdp\n  nla: true\n");
        assert!(compiled.model.is_none());
        let codes: Vec<&str> = compiled
            .validated
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert!(codes.contains(&"RDP030"), "{codes:?}");
        let text = crate::diagnostic::render_text(&compiled.validated.diagnostics, &sources, false);
        assert!(text.contains("<string>:5:"), "{text}");
    }
}
