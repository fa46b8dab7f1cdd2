//! Back ends: `Model` → artifacts. Each back end is pure and deterministic (no clock, no I/O,
//! sorted output); an artifact is a relative path and its bytes. Writing them is the job of
//! `commands`.

mod admx;
mod ansible;
mod dsc;
mod dsc3;
mod gpo_backup;
mod intune;
mod lgpo;
pub(crate) mod osquery;
mod pol;
mod reg;

use std::fmt;

use rayon::prelude::*;

use crate::model::Model;

pub use pol::pol_entries;

/// A file to write, relative to `<out>/<policy name>/`, with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// An output target of `rdpgen build --target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Reg,
    Pol,
    Lgpo,
    Gpo,
    Admx,
    Dsc,
    Dsc3,
    Ansible,
    Intune,
    Osquery,
}

impl Target {
    pub const ALL: [Target; 10] = [
        Self::Reg,
        Self::Pol,
        Self::Lgpo,
        Self::Gpo,
        Self::Admx,
        Self::Dsc,
        Self::Dsc3,
        Self::Ansible,
        Self::Intune,
        Self::Osquery,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reg => "reg",
            Self::Pol => "pol",
            Self::Lgpo => "lgpo",
            Self::Gpo => "gpo",
            Self::Admx => "admx",
            Self::Dsc => "dsc",
            Self::Dsc3 => "dsc3",
            Self::Ansible => "ansible",
            Self::Intune => "intune",
            Self::Osquery => "osquery",
        }
    }

    /// Whether this build of rdpgen can produce the target.
    #[must_use]
    pub fn is_available(self) -> bool {
        match self {
            Self::Reg | Self::Pol | Self::Lgpo => true,
            Self::Gpo => gpo_backup::AVAILABLE,
            Self::Admx => admx::AVAILABLE,
            Self::Dsc => dsc::AVAILABLE,
            Self::Dsc3 => dsc3::AVAILABLE,
            Self::Ansible => ansible::AVAILABLE,
            Self::Intune => intune::AVAILABLE,
            Self::Osquery => osquery::AVAILABLE,
        }
    }

    /// The issue that tracks an unavailable target.
    #[must_use]
    pub fn tracking_issue(self) -> Option<u32> {
        match self {
            Self::Gpo | Self::Admx => Some(5),
            Self::Dsc | Self::Dsc3 => Some(6),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a model could not be written. Validation keeps user input from getting here; these are
/// the codecs' last line of defence.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error(".reg: {0}")]
    Reg(#[from] crate::formats::RegWriteError),
    #[error("Registry.pol: {0}")]
    Pol(#[from] crate::formats::PolWriteError),
    #[error("LGPO text: {0}")]
    Lgpo(#[from] crate::formats::lgpo_text::LgpoWriteError),
    #[error("target `{0}` is not available in this build yet")]
    Unavailable(Target),
    #[error("{target}: {message}")]
    Target { target: Target, message: String },
    #[error(transparent)]
    FirewallRule(#[from] crate::model::FirewallRuleError),
}

/// Backup time when `SOURCE_DATE_EPOCH` is not set: 2000-01-01T00:00:00 UTC.
pub const DEFAULT_EPOCH: i64 = 946_684_800;

/// Inputs of the back ends besides the model. Back ends read nothing else: no clock, no
/// environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The time formats that must record one (the GPO backup) record, in seconds since
    /// 1970-01-01T00:00:00 UTC.
    pub source_date_epoch: i64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            source_date_epoch: DEFAULT_EPOCH,
        }
    }
}

impl Options {
    /// Options from the value of the `SOURCE_DATE_EPOCH` environment variable (`None`: unset).
    ///
    /// # Errors
    /// A value that is not a whole number of seconds from 0 to the end of year 9999.
    pub fn from_source_date_epoch(value: Option<&str>) -> Result<Self, String> {
        let Some(text) = value else {
            return Ok(Self::default());
        };
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|s| (0..=253_402_300_799).contains(s))
            .map(|source_date_epoch| Self { source_date_epoch })
            .ok_or_else(|| {
                format!(
                    "SOURCE_DATE_EPOCH `{text}` is not a whole number of seconds since 1970-01-01 (0 to 253402300799)"
                )
            })
    }
}

/// Emits the artifacts of `targets` for one model, in target order.
///
/// # Errors
/// An unavailable target, or a value a codec refuses.
pub fn emit(
    model: &Model,
    targets: &[Target],
    options: &Options,
) -> Result<Vec<Artifact>, EmitError> {
    // The targets are independent: they run in parallel (one policy's build is otherwise one
    // thread doing ten formats in a row), and their artifacts are put back in the order the
    // targets were asked for; the first target that fails, in that order, is the error.
    let per_target: Vec<Result<Vec<Artifact>, EmitError>> = targets
        .par_iter()
        .map(|target| emit_target(model, *target, options))
        .collect();
    let mut out = Vec::new();
    for artifacts in per_target {
        out.extend(artifacts?);
    }
    Ok(out)
}

fn emit_target(
    model: &Model,
    target: Target,
    options: &Options,
) -> Result<Vec<Artifact>, EmitError> {
    Ok(match target {
        Target::Reg => reg::emit(model)?,
        Target::Pol => vec![pol::emit(model)?],
        Target::Lgpo => vec![lgpo::emit(model)?],
        other if !other.is_available() => return Err(EmitError::Unavailable(other)),
        Target::Gpo => gpo_backup::emit(model, options)?,
        Target::Admx => admx::emit(model)?,
        Target::Dsc => dsc::emit(model)?,
        Target::Dsc3 => dsc3::emit(model)?,
        Target::Ansible => ansible::emit(model)?,
        Target::Intune => intune::emit(model)?,
        Target::Osquery => osquery::emit(model)?,
    })
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_EPOCH, Options};

    #[test]
    fn source_date_epoch_is_checked() {
        assert_eq!(
            Options::from_source_date_epoch(None)
                .unwrap()
                .source_date_epoch,
            DEFAULT_EPOCH
        );
        assert_eq!(
            Options::from_source_date_epoch(Some("1700000000"))
                .unwrap()
                .source_date_epoch,
            1_700_000_000
        );
        for bad in ["", "abc", "-1", "1.5", "253402300800"] {
            let e = Options::from_source_date_epoch(Some(bad)).unwrap_err();
            assert!(e.contains("SOURCE_DATE_EPOCH"), "{e}");
        }
    }
}
