//! `rdpgen diff --local`: the live registry of this Windows machine, read through the
//! windows-registry crate into a temporary .reg-equivalent host. Elsewhere it says it cannot.

#[cfg(not(windows))]
pub fn local_host() -> Result<Vec<crate::audit::HostInput>, String> {
    Err("`--local` reads the live registry and works only on Windows; collect a snapshot with `rdpgen collector` instead".into())
}

#[cfg(windows)]
pub fn local_host() -> Result<Vec<crate::audit::HostInput>, String> {
    use std::io::Write as _;

    use crate::catalog::{SETTINGS, keys};
    use crate::formats::RegistryValue;
    use crate::formats::reg_file::{self, RegFile, RegFileValue, RegSection};

    let mut keys_to_read: Vec<String> = Vec::new();
    for s in SETTINGS {
        if let Some(p) = s.policy {
            keys_to_read.push(p.key.to_string());
        }
        for l in s.local {
            keys_to_read.push(l.key.to_string());
        }
    }
    keys_to_read.extend(keys::tls_server_keys());
    keys_to_read.push(keys::FWPOL_RULES.to_string());
    keys_to_read.sort();
    keys_to_read.dedup();
    let mut file = RegFile::default();
    for key in keys_to_read {
        let Ok(k) = windows_registry::LOCAL_MACHINE.open(&key) else {
            continue;
        };
        let mut values = Vec::new();
        if let Ok(iter) = k.values() {
            for (name, value) in iter {
                let v = match value.ty() {
                    windows_registry::Type::U32 => {
                        u32::try_from(value).ok().map(RegistryValue::Dword)
                    }
                    windows_registry::Type::String => {
                        String::try_from(value).ok().map(RegistryValue::Sz)
                    }
                    windows_registry::Type::Bytes => Some(RegistryValue::Binary(value.to_vec())),
                    _ => None,
                };
                if let Some(v) = v {
                    values.push(RegFileValue::set(name, v));
                }
            }
        }
        file.sections.push(RegSection::Key {
            path: format!("HKEY_LOCAL_MACHINE\\{key}"),
            values,
        });
    }
    let bytes = reg_file::write(&file).map_err(|e| e.to_string())?;
    let path = std::env::temp_dir().join(format!("rdpgen-local-{}.reg", std::process::id()));
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| e.to_string())?;
    let host = std::env::var("COMPUTERNAME").unwrap_or_else(|_| "localhost".into());
    Ok(vec![crate::audit::HostInput {
        name: host,
        files: vec![path],
        problem: None,
    }])
}
