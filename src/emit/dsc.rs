//! `dsc/RdpPosture.ps1`: a PowerShell DSC configuration rendered from templates/.
//!
//! Not implemented yet (issue 6); `AVAILABLE` is false so `rdpgen build` refuses the target.

use super::{Artifact, EmitError, Target};
use crate::model::Model;

/// Whether this back end is finished.
pub const AVAILABLE: bool = false;

pub fn emit(_model: &Model) -> Result<Vec<Artifact>, EmitError> {
    Err(EmitError::Unavailable(Target::Dsc))
}
