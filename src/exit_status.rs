//! The exit-status contract, documented in the README and pinned by tests.

/// What the process tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Everything checked is valid (warnings allowed unless `--deny-warnings`).
    Success = 0,
    /// rdpgen ran and found problems: invalid policy, drift.
    Problems = 1,
    /// rdpgen could not run: unreadable file, bad arguments, unfinished command.
    Failure = 2,
    /// `diff`: no host drifted, but at least one could not be verified in full.
    Incomplete = 3,
}

impl ExitStatus {
    #[must_use]
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s as u8)
    }
}
