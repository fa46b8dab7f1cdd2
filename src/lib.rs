//! rdpgen: compiles a declarative RDP posture policy into Windows artifacts and audits hosts.

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod diagnostic;
pub mod emit;
pub mod escape;
pub(crate) mod exit_status;
pub mod explain;
pub(crate) mod firewall_address;
pub mod formats;
pub(crate) mod fsread;
pub(crate) mod import;
pub(crate) mod lower;
pub mod model;
pub mod policy;
#[cfg(test)]
mod reference_material;
pub mod source;
pub(crate) mod validate;
