//! Reading import sources into [`Input`]: every file kind `rdpgen import` accepts. Each error
//! names the file and the position in it; file names are relative to the source given.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Action, Entry, GpoInfo, Input, Origin, Other, Right};
use crate::audit::snapshot::{self, HiveId};
use crate::audit::snapshot::{child_ci, path_ci};
use crate::catalog::keys;
use crate::formats::reg_file::{self, RegFileAction, RegSection};
use crate::formats::{Hive, RegistryValue, registry_pol, security_template, xml};

/// Largest source file read.
pub const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>, String> {
    let bytes = crate::fsread::read_regular(path, MAX_SOURCE_BYTES)
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "{shown}: larger than {} MiB",
            MAX_SOURCE_BYTES / 1024 / 1024
        ));
    }
    Ok(bytes)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The folder holding `Machine` and `User`: `DomainSysvol\GPO` of a GPMC backup, or a SYSVOL
/// GPO folder itself (which has gpt.ini).
fn gpo_root(dir: &Path) -> Option<PathBuf> {
    if let Some(g) = path_ci(dir, &["DomainSysvol", "GPO"]) {
        return Some(g);
    }
    (child_ci(dir, "gpt.ini").is_some() && child_ci(dir, "Machine").is_some())
        .then(|| dir.to_path_buf())
}

/// Reads one SOURCE argument.
///
/// # Errors
/// A message naming the file (relative to the argument) and the position of the problem.
///
/// `host` picks one host of an osquery results log that holds several (`--host`).
pub fn source(path: &Path, host: Option<&str>) -> Result<Input, String> {
    let shown = file_name(path);
    let meta = fs::metadata(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if meta.is_dir() {
        if gpo_root(path).is_some() {
            return gpo(path, &shown);
        }
        if child_ci(path, "manifest.xml").is_some() {
            let mut gpos: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| format!("{shown}: cannot list: {e}"))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir() && gpo_root(p).is_some())
                .collect();
            gpos.sort();
            if gpos.is_empty() {
                return Err(format!(
                    "{shown}: manifest.xml is here but no {{GUID}} folder with DomainSysvol\\GPO"
                ));
            }
            let mut input = Input::default();
            for g in gpos {
                let name = format!("{shown}/{}", file_name(&g));
                input.merge(gpo(&g, &name)?);
            }
            return Ok(input);
        }
        return Err(format!(
            "{shown}: not a GPO folder (no manifest.xml, no DomainSysvol\\GPO, no gpt.ini beside Machine)"
        ));
    }
    let bytes = read_bounded(path, &shown)?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let text_start = crate::formats::text::decode(&bytes[..bytes.len().min(512)]);
    let trimmed = text_start.trim_start();
    let mut input = if bytes.starts_with(b"PReg") || ext == "pol" {
        pol(&bytes, &shown, Hive::LocalMachine)?
    } else if crate::audit::osquery::is_results_log(&first_line(&bytes)) {
        osquery_log(&bytes, &shown, host)?
    } else if ext == "inf" {
        template(&bytes, &shown)?
    } else if ext == "xml" {
        preferences(&bytes, &shown)?
    } else if ext == "json" || trimmed.starts_with('{') {
        snapshot_json(&bytes, &shown)?
    } else if ext == "reg"
        || trimmed.starts_with("Windows Registry Editor")
        || trimmed.starts_with("REGEDIT")
    {
        reg(&bytes, &shown)?
    } else {
        lgpo(&bytes, &shown)?
    };
    input.files.insert(0, shown);
    Ok(input)
}

/// The first non-empty line of a text file (up to 64 KiB of it): an osquery results line is
/// long, and its `hostIdentifier` can come late in it.
fn first_line(bytes: &[u8]) -> String {
    let head = crate::formats::text::decode(&bytes[..bytes.len().min(64 * 1024)]);
    head.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

fn origin(file: &str, position: String) -> Origin {
    Origin {
        file: file.to_string(),
        position,
    }
}

/// A Registry.pol: every record, directives included, with its entry number.
fn pol(bytes: &[u8], shown: &str, hive: Hive) -> Result<Input, String> {
    let entries = registry_pol::read(bytes).map_err(|e| format!("{shown}: {e}"))?;
    let mut input = Input::default();
    for (i, e) in entries.into_iter().enumerate() {
        input.entries.push(Entry {
            hive,
            key: e.key,
            name: e.value_name,
            action: Action::Set(e.value),
            origin: origin(shown, format!("entry {}", i + 1)),
        });
    }
    Ok(input)
}

/// A GPMC backup `{GUID}` folder or a SYSVOL GPO folder.
fn gpo(dir: &Path, shown: &str) -> Result<Input, String> {
    let root = gpo_root(dir).ok_or_else(|| format!("{shown}: not a GPO folder"))?;
    let mut input = Input::default();
    let mut read_files: Vec<PathBuf> = Vec::new();
    for (side, hive) in [("Machine", Hive::LocalMachine), ("User", Hive::CurrentUser)] {
        let Some(side_dir) = child_ci(&root, side) else {
            continue;
        };
        if let Some(p) = child_ci(&side_dir, "registry.pol") {
            let name = format!("{shown}/{side}/registry.pol");
            input.files.push(name.clone());
            input.merge(pol(&read_bounded(&p, &name)?, &name, hive)?);
            read_files.push(p);
        }
        if hive == Hive::LocalMachine
            && let Some(p) = path_ci(
                &side_dir,
                &["microsoft", "windows nt", "SecEdit", "GptTmpl.inf"],
            )
        {
            let name = format!("{shown}/{side}/microsoft/windows nt/SecEdit/GptTmpl.inf");
            input.files.push(name.clone());
            input.merge(template(&read_bounded(&p, &name)?, &name)?);
            read_files.push(p);
        }
        if let Some(p) = path_ci(&side_dir, &["Preferences", "Registry", "Registry.xml"]) {
            let name = format!("{shown}/{side}/Preferences/Registry/Registry.xml");
            input.files.push(name.clone());
            let mut prefs = preferences(&read_bounded(&p, &name)?, &name)?;
            if hive == Hive::CurrentUser {
                for e in &mut prefs.entries {
                    e.hive = Hive::CurrentUser;
                }
            }
            input.merge(prefs);
            read_files.push(p);
        }
        // Every other file of the GPO's settings is listed, not dropped.
        let mut rest = Vec::new();
        walk(&side_dir, &mut rest);
        rest.sort();
        for f in rest {
            let base = file_name(&f);
            if read_files.contains(&f) || base.eq_ignore_ascii_case("comment.cmtx") {
                continue;
            }
            let rel = f
                .strip_prefix(&side_dir)
                .map_or_else(|_| base.clone(), |r| r.display().to_string());
            input.others.push(Other {
                text: format!("settings file not imported: {side}/{rel}"),
                origin: origin(shown, String::new()),
            });
        }
    }
    if let Some(info) = child_ci(dir, "bkupInfo.xml") {
        input.gpo = Some(backup_info(&read_bounded(&info, shown)?));
    }
    Ok(input)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn backup_info(bytes: &[u8]) -> GpoInfo {
    let Ok(doc) = xml::parse(&crate::formats::text::decode(bytes)) else {
        return GpoInfo::default();
    };
    let text = |name: &str| {
        doc.descendants()
            .into_iter()
            .find(|e| e.local_name() == name)
            .map(|e| e.text().trim().to_string())
            .filter(|t| !t.is_empty())
    };
    GpoInfo {
        display_name: text("GPODisplayName"),
        guid: text("GPOGuid"),
        domain: text("GPODomain"),
    }
}

/// GptTmpl.inf: the user rights, and every line of other sections as [`Other`].
fn template(bytes: &[u8], shown: &str) -> Result<Input, String> {
    security_template::read(bytes).map_err(|e| match e {
        security_template::SecurityTemplateReadError::NotUtf16 => format!(
            "{shown}: byte 0: not UTF-16LE with a byte-order mark (FF FE), as Windows writes security templates"
        ),
        other => format!("{shown}: {other}"),
    })?;
    // read() accepted it: UTF-16LE with a byte-order mark and no unpaired surrogate.
    let text = crate::formats::text::decode(bytes);
    let mut input = Input::default();
    let mut section = String::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        let at = origin(shown, format!("line {}", index + 1));
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if section.eq_ignore_ascii_case("Unicode") || section.eq_ignore_ascii_case("Version") {
            continue;
        }
        if section.eq_ignore_ascii_case("System Access")
            && let Some((name, value)) = line.split_once('=')
            && let Some((name, _)) = keys::LOCKOUT_LINES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            && let Ok(value) = value.trim().parse::<i64>()
        {
            // A line written twice: the later one is what Windows applies.
            input.lockout.retain(|l| l.name != *name);
            input.lockout.push(super::AccessLine {
                name: (*name).to_string(),
                value,
                origin: at,
            });
            continue;
        }
        if section.eq_ignore_ascii_case("Privilege Rights")
            && let Some((name, members)) = line.split_once('=')
        {
            input.rights.push(Right {
                name: name.trim().to_string(),
                members: members
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
                origin: at,
            });
            continue;
        }
        input.others.push(Other {
            text: format!("[{section}] {line}"),
            origin: at,
        });
    }
    Ok(input)
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let t: String = text.chars().filter(|c| !matches!(c, ' ' | ',')).collect();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Group Policy Preferences Registry.xml: each `<Registry>` item's `<Properties>`.
fn preferences(bytes: &[u8], shown: &str) -> Result<Input, String> {
    let doc =
        xml::parse(&crate::formats::text::decode(bytes)).map_err(|e| format!("{shown}: {e}"))?;
    if doc.local_name() != "RegistrySettings" {
        return Err(format!(
            "{shown}: the root element is <{}>, not the <RegistrySettings> of a Group Policy Preferences Registry.xml",
            doc.local_name()
        ));
    }
    let mut input = Input::default();
    let items: Vec<_> = doc
        .descendants()
        .into_iter()
        .filter(|e| e.local_name() == "Registry")
        .collect();
    for (i, item) in items.into_iter().enumerate() {
        let at = origin(shown, format!("item {}", i + 1));
        let Some(p) = item.element("Properties") else {
            input.others.push(Other {
                text: "a <Registry> item without <Properties>".into(),
                origin: at,
            });
            continue;
        };
        let attr = |n: &str| p.attribute(n).unwrap_or_default().to_string();
        let hive = match attr("hive").to_ascii_uppercase().as_str() {
            "HKEY_LOCAL_MACHINE" | "HKLM" => Hive::LocalMachine,
            "HKEY_CURRENT_USER" | "HKCU" => Hive::CurrentUser,
            other => {
                input.others.push(Other {
                    text: format!(
                        "preference item for hive {}: {}\\{}",
                        crate::escape::single_line(other),
                        crate::escape::single_line(&attr("key")),
                        crate::escape::single_line(&attr("name"))
                    ),
                    origin: at,
                });
                continue;
            }
        };
        let value = attr("value");
        let kind = attr("type");
        let bad = || {
            format!(
                "{at}: `{}` is not {kind} data",
                crate::escape::single_line(&value)
            )
        };
        let action = if attr("action").eq_ignore_ascii_case("D") {
            Action::Delete
        } else {
            Action::Set(match kind.as_str() {
                "REG_SZ" => RegistryValue::Sz(value.clone()),
                "REG_EXPAND_SZ" => RegistryValue::ExpandSz(value.clone()),
                "REG_DWORD" => {
                    RegistryValue::Dword(u32::from_str_radix(value.trim(), 16).map_err(|_| bad())?)
                }
                "REG_QWORD" => {
                    RegistryValue::Qword(u64::from_str_radix(value.trim(), 16).map_err(|_| bad())?)
                }
                "REG_BINARY" => RegistryValue::Binary(parse_hex(&value).ok_or_else(bad)?),
                "REG_MULTI_SZ" => RegistryValue::MultiSz(
                    p.elements_named("Values")
                        .flat_map(|v| v.elements_named("Value"))
                        .map(xml::Element::text)
                        .collect(),
                ),
                other => {
                    return Err(format!(
                        "{at}: unknown registry type `{}`",
                        crate::escape::single_line(other)
                    ));
                }
            })
        };
        input.entries.push(Entry {
            hive,
            key: attr("key"),
            name: attr("name"),
            action,
            origin: at,
        });
    }
    Ok(input)
}

/// A collector snapshot: its registry section and logon rights. Key and value names are
/// compared case-insensitively, so the snapshot reader's lower-casing loses nothing a field
/// needs; unmapped values are listed lower-cased.
fn snapshot_json(bytes: &[u8], shown: &str) -> Result<Input, String> {
    let state = snapshot::from_json(&crate::formats::text::decode(bytes))
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(host_input(state, shown))
}

/// An osquery results log (the filesystem logger's `osqueryd.results.log`) of rdpgen's pack:
/// one host's registry rows, as `diff` reads them (the newest snapshot wins). The pack's name
/// is found in the log; a log of several hosts needs `--host`. osquery reads no logon rights,
/// so none are imported from it.
fn osquery_log(bytes: &[u8], shown: &str, host: Option<&str>) -> Result<Input, String> {
    use crate::audit::osquery;
    let text = crate::formats::text::decode(bytes);
    let packs = osquery::packs_in(&text);
    let pack = match packs.as_slice() {
        [one] => one,
        [] => {
            return Err(format!(
                "{shown}: an osquery results log without rdpgen's pack queries (`pack_<policy>_registry`); build the pack with `rdpgen build --target osquery`"
            ));
        }
        many => {
            return Err(format!(
                "{shown}: results of several packs ({}); import reads one policy's pack",
                many.join(", ")
            ));
        }
    };
    let hosts = osquery::read_results_log(&text, pack)
        .map_err(|e| format!("{shown}: line {}: {}", e.line, e.message))?;
    let names = || {
        hosts
            .iter()
            .map(|h| crate::escape::single_line(&h.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let state = match (host, hosts.len()) {
        (Some(wanted), _) => hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{shown}: no host `{}` in the log (it holds {})",
                    crate::escape::single_line(wanted),
                    names()
                )
            })?,
        (None, 1) => hosts.into_iter().next().unwrap_or_default(),
        (None, 0) => return Err(format!("{shown}: the log holds no host of pack `{pack}`")),
        (None, n) => {
            return Err(format!(
                "{shown}: the log holds {n} hosts ({}); pick one with --host",
                names()
            ));
        }
    };
    Ok(host_input(state, shown))
}

/// The registry values and logon rights of one host's state.
fn host_input(state: snapshot::HostState, shown: &str) -> Input {
    let mut input = Input::default();
    for (path, value) in state.registry {
        input.entries.push(Entry {
            hive: match path.hive {
                HiveId::LocalMachine => Hive::LocalMachine,
                HiveId::CurrentUser => Hive::CurrentUser,
            },
            key: path.key,
            name: path.name,
            action: Action::Set(value),
            origin: origin(shown, "registry".into()),
        });
    }
    if let Some(l) = state.account_lockout {
        for (name, value) in [
            (keys::LOCKOUT_BAD_COUNT, l.threshold),
            (keys::LOCKOUT_DURATION, l.duration),
            (keys::LOCKOUT_RESET, l.reset_after),
            (keys::LOCKOUT_ADMINISTRATOR, l.administrator),
        ] {
            if let Some(value) = value {
                input.lockout.push(super::AccessLine {
                    name: name.into(),
                    value,
                    origin: origin(shown, "accountLockout".into()),
                });
            }
        }
    }
    if let Some(lr) = state.logon_rights {
        for (name, members) in [
            ("SeRemoteInteractiveLogonRight", lr.allow),
            ("SeDenyRemoteInteractiveLogonRight", lr.deny),
        ] {
            if let Some(members) = members {
                input.rights.push(Right {
                    name: name.into(),
                    members,
                    origin: origin(shown, "logonRights".into()),
                });
            }
        }
    }
    input
}

/// A `.reg` export: every value line of HKLM and HKCU keys; other roots and `[-key]` lines are
/// listed.
fn reg(bytes: &[u8], shown: &str) -> Result<Input, String> {
    let file = reg_file::read(bytes).map_err(|e| format!("{shown}: {e}"))?;
    let mut input = Input::default();
    for (i, section) in file.sections.into_iter().enumerate() {
        let at = origin(shown, format!("section {}", i + 1));
        match section {
            RegSection::DeleteKey { path } => input.others.push(Other {
                text: format!("[-{}] deletes the key", crate::escape::single_line(&path)),
                origin: at,
            }),
            RegSection::Key { path, values } => {
                let Some((hive, key)) = snapshot::split_hive(&path) else {
                    input.others.push(Other {
                        text: format!(
                            "[{}] with {} values: not HKLM or HKCU",
                            crate::escape::single_line(&path),
                            values.len()
                        ),
                        origin: at,
                    });
                    continue;
                };
                for v in values {
                    input.entries.push(Entry {
                        hive,
                        key: key.to_string(),
                        name: v.name.unwrap_or_default(),
                        action: match v.action {
                            RegFileAction::Set(value) => Action::Set(value),
                            RegFileAction::Delete => Action::Delete,
                        },
                        origin: Origin {
                            file: shown.to_string(),
                            position: format!("[{}]", crate::escape::single_line(&path)),
                        },
                    });
                }
            }
        }
    }
    Ok(input)
}

/// The text of an LGPO `SZ:`/`EXSZ:`/`MULTISZ:` action: `\\` is one backslash, `\0` separates
/// `MULTISZ:` items, `\r` and `\n` are CR and LF (LGPO.exe's documented escapes); any other
/// backslash is kept as written.
fn lgpo_unescape(text: &str, multi: bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut last = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            last.push(c);
            continue;
        }
        match chars.peek() {
            Some('\\') => {
                chars.next();
                last.push('\\');
            }
            Some('0') if multi => {
                chars.next();
                items.push(std::mem::take(&mut last));
            }
            Some('r') => {
                chars.next();
                last.push('\r');
            }
            Some('n') => {
                chars.next();
                last.push('\n');
            }
            _ => last.push('\\'),
        }
    }
    items.push(last);
    items
}

fn lgpo_action(line: &str) -> Result<Option<Action>, String> {
    let unknown = || {
        format!(
            "expected DWORD:, QWORD:, SZ:, EXSZ:, MULTISZ:, BINARY:, DELETE, DELETEALLVALUES or CREATEKEY, found `{}`",
            crate::escape::single_line(line.trim_end())
        )
    };
    let (kind, rest) = match line.split_once(':') {
        Some((k, r)) => (k.to_ascii_uppercase(), r),
        None => {
            return match line.trim_end().to_ascii_uppercase().as_str() {
                "DELETE" => Ok(Some(Action::Delete)),
                "DELETEALLVALUES" | "CREATEKEY" => Ok(None),
                _ => Err(unknown()),
            };
        }
    };
    let bad = || format!("`{}` is not {kind} data", crate::escape::single_line(rest));
    Ok(Some(Action::Set(match kind.as_str() {
        "DWORD" => RegistryValue::Dword(rest.trim().parse().map_err(|_| bad())?),
        "QWORD" => RegistryValue::Qword(rest.trim().parse().map_err(|_| bad())?),
        "SZ" => RegistryValue::Sz(lgpo_unescape(rest, false).concat()),
        "EXSZ" => RegistryValue::ExpandSz(lgpo_unescape(rest, false).concat()),
        "MULTISZ" => RegistryValue::MultiSz(lgpo_unescape(rest, true)),
        "BINARY" => RegistryValue::Binary(parse_hex(rest).ok_or_else(bad)?),
        _ => return Err(unknown()),
    })))
}

/// LGPO text (`LGPO.exe /parse` output, rdpgen's `lgpo/machine.txt`): records of four lines
/// (Computer|User, key, value name, action), `;` comments, blank lines between records.
fn lgpo(bytes: &[u8], shown: &str) -> Result<Input, String> {
    let text = crate::formats::text::decode(bytes);
    let mut input = Input::default();
    let mut record: Vec<(usize, &str)> = Vec::new();
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    for (index, raw) in lines.iter().enumerate() {
        let line_no = index + 1;
        // Kept as written: `SZ:` data may end in spaces.
        let line = *raw;
        if line.trim().is_empty() || line.trim_start().starts_with(';') {
            continue;
        }
        record.push((line_no, line));
        if record.len() < 4 {
            continue;
        }
        let (first, config) = record[0];
        let hive = match config.trim().to_ascii_lowercase().as_str() {
            "computer" => Hive::LocalMachine,
            "user" => Hive::CurrentUser,
            _ => {
                return Err(format!(
                    "{shown}: line {first}: expected `Computer` or `User` to start a record, found `{}`; not an LGPO text file (and no other format rdpgen import reads: Registry.pol, .reg, GptTmpl.inf, Registry.xml, snapshot JSON)",
                    crate::escape::single_line(config)
                ));
            }
        };
        let key = record[1].1.trim().to_string();
        let name_line = record[2].1.trim();
        let (action_no, action_line) = record[3];
        let action = lgpo_action(action_line.trim_start())
            .map_err(|e| format!("{shown}: line {action_no}: {e}"))?;
        let at = origin(shown, format!("line {first}"));
        match action {
            Some(action) => {
                let name = if name_line
                    .eq_ignore_ascii_case(crate::formats::lgpo_text::DEFAULT_VALUE_NAME)
                {
                    String::new()
                } else {
                    name_line.to_string()
                };
                input.entries.push(Entry {
                    hive,
                    key,
                    name,
                    action,
                    origin: at,
                });
            }
            None => input.others.push(Other {
                text: format!(
                    "{} {}",
                    crate::escape::single_line(action_line.trim()),
                    crate::escape::single_line(&key)
                ),
                origin: at,
            }),
        }
        record.clear();
    }
    if let Some((line_no, _)) = record.first() {
        return Err(format!(
            "{shown}: line {line_no}: the file ends inside a record (expected 4 lines: Computer|User, key, value name, action)"
        ));
    }
    if input.entries.is_empty() && input.others.is_empty() {
        return Err(format!(
            "{shown}: holds no records; not a Registry.pol, .reg, LGPO text, GptTmpl.inf, Registry.xml or snapshot JSON"
        ));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::lgpo_unescape;

    #[test]
    fn lgpo_text_unescapes_as_the_writer_escapes() {
        // The writer doubles a backslash only before an escape letter or the separator.
        assert_eq!(lgpo_unescape(r"C:\Temp\Files", false), [r"C:\Temp\Files"]);
        assert_eq!(lgpo_unescape(r"C:\Temp\\new", false), [r"C:\Temp\new"]);
        assert_eq!(lgpo_unescape(r"a\\nb", false), [r"a\nb"]);
        assert_eq!(lgpo_unescape(r"a\nb", false), ["a\nb"]);
        assert_eq!(
            lgpo_unescape(r"one\0two\\\0three", true),
            ["one", r"two\", "three"]
        );
        assert_eq!(lgpo_unescape(r"x\0y", false), [r"x\0y"]);
        assert_eq!(lgpo_unescape("", true), [""]);
    }
}
