//! rdpgen: compiles a declarative RDP posture policy into Windows artifacts and audits hosts.

pub mod formats;
