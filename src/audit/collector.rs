//! The collector script: the template plus the registry values the catalog knows, so the
//! collector reads exactly what `diff` compares and nothing else (the RDP-Tcp key can hold
//! secrets such as `Password`; only named values are read).

use serde_json::json;

use crate::catalog::evidence::registry_locations;
use crate::catalog::keys;

const TEMPLATE: &str = include_str!("../../templates/collector/collector.ps1.hbs");

/// The collector script.
///
/// # Errors
/// A template error (a bug).
pub fn render() -> Result<String, handlebars::RenderError> {
    let locations: Vec<_> = registry_locations()
        .into_iter()
        .map(|l| json!({"key": l.key, "names": l.names}))
        .collect();
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    let data = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "snapshot_version": super::snapshot::SNAPSHOT_VERSION,
        "locations": locations,
        // Whole, so the template never writes `\{{` (which Handlebars reads as an escape).
        "rdp_tcp_key": format!("HKLM\\{}", keys::RDP_TCP),
    });
    hb.render_template(TEMPLATE, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(s: &str) -> bool {
        !s.contains(['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'])
            && !s.chars().any(char::is_control)
    }

    #[test]
    fn locations_are_safe_single_quoted_literals() {
        for l in registry_locations() {
            assert!(safe(&l.key), "{}", l.key);
            for n in l.names.iter().flatten() {
                assert!(safe(n), "{n}");
            }
        }
    }

    #[test]
    fn the_script_has_no_unrendered_token_and_names_the_listener_key() {
        let script = render().unwrap();
        assert!(!script.contains("{{") && !script.contains("}}"), "{script}");
        assert!(script.contains(&format!("'HKLM\\{}'", keys::RDP_TCP)));
        // Only named values of the listener key are read: never `Password`.
        assert!(!script.contains("'Password'"));
        let rdp = registry_locations()
            .into_iter()
            .find(|l| l.key == keys::RDP_TCP)
            .unwrap();
        let names = rdp.names.unwrap();
        assert!(names.iter().any(|n| n == "PortNumber"));
        assert!(names.iter().any(|n| n == "fEnableWinStation"));
        assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("Password")));
        let all = registry_locations();
        let fw: Vec<_> = all
            .iter()
            .filter(|l| l.key.eq_ignore_ascii_case(keys::FWPOL_RULES))
            .collect();
        assert_eq!(fw.len(), 1);
        assert_eq!(fw[0].names, None);
    }
}
