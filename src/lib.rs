//! rdpgen: compiles a declarative RDP posture policy into Windows artifacts and audits hosts.

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod compile;
pub mod diagnostic;
pub mod emit;
pub mod escape;
pub mod exit_status;
pub mod explain;
pub mod firewall_address;
pub mod formats;
pub mod fsread;
pub mod import;
pub mod lower;
pub mod model;
pub mod policy;
#[cfg(test)]
mod reference_material;
pub mod source;
pub mod validate;
