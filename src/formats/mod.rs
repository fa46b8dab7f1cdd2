//! Byte codecs for Windows registry file formats: read and write, no policy knowledge.
//!
//! - [`registry_value`]: `RegistryValue` (REG_* types and their data encoding) and `Hive`.
//! - [`registry_pol`]: Registry.pol (`PReg` v1), the file Group Policy applies.
//! - [`reg_file`]: regedit `.reg` files (version 5.00 written; 5.00 and REGEDIT4 read).
//! - [`lgpo_text`]: the text format `LGPO.exe /t` and `/r` read.
//! - [`firewall_rule`]: Windows Firewall rule strings ([MS-GPFAS]), the data of `FirewallRules` values.
//!
//! Every writer is pure and deterministic and refuses (with a typed error) anything it could
//! not write so that the matching reader returns the same model; every reader is strict,
//! linear in its input, and reports where the input is wrong.

pub mod firewall_rule;
pub mod lgpo_text;
pub mod osquery_registry;
pub mod reg_file;
pub mod registry_pol;
pub mod registry_value;
pub mod security_template;
pub mod text;
pub(crate) mod utf16;
pub mod xml;

pub use lgpo_text::{LgpoAction, LgpoEntry, LgpoWriteError};
pub use reg_file::{RegFile, RegFileAction, RegFileValue, RegReadError, RegSection, RegWriteError};
pub use registry_pol::{PolEntry, PolReadError, PolWriteError};
pub use registry_value::{Hive, RegistryValue, ValueDecodeError};
