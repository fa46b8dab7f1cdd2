//! `admx/rdpgen.admx` and `admx/en-US/rdpgen.adml`: a custom administrative template for the settings no Microsoft ADMX covers.
//!
//! Not implemented yet (issue 5); `AVAILABLE` is false so `rdpgen build` refuses the target.

use super::{Artifact, EmitError, Target};
use crate::model::Model;

/// Whether this back end is finished.
pub const AVAILABLE: bool = false;

pub fn emit(_model: &Model) -> Result<Vec<Artifact>, EmitError> {
    Err(EmitError::Unavailable(Target::Admx))
}
