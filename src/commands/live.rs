//! `rdpgen diff --local`: the live registry of this Windows machine, read through the
//! windows-registry crate straight into a [`HostState`] (no temporary file). The live registry
//! is evidence of every location it holds: a missing key or value is "not set". Elsewhere it
//! says it cannot.

#[cfg(not(windows))]
pub fn local_host() -> Result<crate::audit::HostState, String> {
    Err("`--local` reads the live registry and works only on Windows; collect a snapshot with `rdpgen collector` instead".into())
}

#[cfg(windows)]
pub fn local_host() -> Result<crate::audit::HostState, String> {
    use crate::audit::snapshot::{Evidence, RegistryPath};
    use crate::catalog::evidence::registry_locations;
    use crate::formats::{Hive, RegistryValue};

    /// The REG_* code of a value as windows-registry reports it.
    fn code(ty: windows_registry::Type) -> u32 {
        match ty {
            windows_registry::Type::U32 => 4,
            windows_registry::Type::U64 => 11,
            windows_registry::Type::String => 1,
            windows_registry::Type::ExpandString => 2,
            windows_registry::Type::MultiString => 7,
            windows_registry::Type::Bytes => 3,
            windows_registry::Type::Other(n) => n,
        }
    }

    let host = std::env::var("COMPUTERNAME").unwrap_or_else(|_| "localhost".into());
    let mut state = crate::audit::HostState {
        name: host,
        evidence: Evidence {
            all_registry: true,
            ..Evidence::default()
        },
        ..crate::audit::HostState::default()
    };
    state.kinds.insert("live registry");
    state
        .sources
        .push("live registry (HKEY_LOCAL_MACHINE)".into());
    for location in registry_locations() {
        // A key that does not exist holds no value: "not set", which the evidence covers.
        let Ok(key) = windows_registry::LOCAL_MACHINE.open(&location.key) else {
            continue;
        };
        let Ok(values) = key.values() else {
            return Err(format!(
                "cannot list the values of HKLM\\{}: run elevated",
                location.key
            ));
        };
        for (name, value) in values {
            if let Some(names) = &location.names
                && !names.iter().any(|n| n.eq_ignore_ascii_case(&name))
            {
                continue;
            }
            // Raw type and bytes, decoded as the .reg and .pol readers do; data that does
            // not fit its type is kept as the raw bytes of that type.
            let kind = code(value.ty());
            let decoded =
                RegistryValue::from_bytes(kind, &value).unwrap_or_else(|_| RegistryValue::Other {
                    kind,
                    data: value.to_vec(),
                });
            state.registry.insert(
                RegistryPath::new(Hive::LocalMachine, &location.key, &name),
                decoded,
            );
        }
    }
    Ok(state)
}
