//! rdpgen: compiles a declarative RDP posture policy into Windows artifacts and audits hosts.

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod exit_status;
pub mod firewall_address;
pub mod formats;
pub mod policy;
pub mod source;
pub mod validate;
