//! rdpgen's reader of ADMX files: the admin's PolicyDefinitions (`--admx DIR`), and the
//! cross-check of the generated table against Microsoft's files. Everything it returns is
//! leaked into `'static` data (one load per process). Keys, value names and strings are
//! refused when they hold control or bidirectional characters, since they reach .reg,
//! PowerShell and XML outputs; keys must lie below a Group Policy root.

use super::{Element, ElementKind, EnumItem, ListItem, Policy, PolicyClass, Value};
use crate::formats::xml::{self, Element as Xml};

/// Why an ADMX file was refused: a byte offset into its text (for line and column) and what
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

/// The largest ADMX file read (Microsoft's biggest, `inetres.admx`, is under 2 MB).
pub const MAX_FILE_BYTES: usize = 16 << 20;

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Reads one ADMX document. `file` is its name under PolicyDefinitions
/// (`TerminalServer.admx`).
///
/// # Errors
/// Malformed XML, a policy without a name or key, an unknown element or value kind, a
/// number that is not one, text with control characters, or a key outside the Group Policy
/// roots.
pub fn parse(text: &str, file: &str) -> Result<Vec<Policy>, ParseError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ParseError {
            offset: 0,
            message: format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
        });
    }
    let root = xml::parse(text).map_err(|e| ParseError {
        offset: usize::try_from(e.position).unwrap_or(usize::MAX),
        message: e.message,
    })?;
    if root.local_name() != "policyDefinitions" {
        return Err(ParseError {
            offset: 0,
            message: format!(
                "the root element is <{}>, not <policyDefinitions>",
                root.name
            ),
        });
    }
    let file =
        checked("the file name", file).map_err(|message| ParseError { offset: 0, message })?;
    let mut out = Vec::new();
    for policies in root.elements_named("policies") {
        for p in policies.elements_named("policy") {
            let name = p.attribute("name").unwrap_or("");
            // Semantic errors point at the policy's definition.
            let at = find(text, &format!("name=\"{name}\""));
            out.push(policy(p, file).map_err(|message| ParseError {
                offset: at,
                message: if name.is_empty() {
                    message
                } else {
                    format!("policy {name}: {message}")
                },
            })?);
        }
    }
    Ok(out)
}

fn find(text: &str, needle: &str) -> usize {
    text.find(needle).unwrap_or(0)
}

fn checked(what: &str, s: &str) -> Result<&'static str, String> {
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() || crate::formats::text::is_bidi_control(c))
    {
        return Err(format!(
            "{what} holds the control character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(leak(s))
}

/// A key as the catalog holds it: checked, and without a trailing `\` (Microsoft's files end a
/// few with one; the registry key is the same).
fn key(s: &str) -> Result<&'static str, String> {
    let k = checked("a key", s.trim_end_matches('\\'))?;
    // What Registry.pol and .reg carry as a key: printable ASCII, no `]` (a .reg section end).
    if let Some(c) = k
        .chars()
        .find(|c| !c.is_ascii_graphic() && *c != ' ' || *c == ']')
    {
        return Err(format!(
            "key `{k}` holds `{c}`, which rdpgen's outputs cannot carry in a key"
        ));
    }
    if !crate::catalog::keys::is_policy_key(k) {
        return Err(format!(
            "key `{k}` is not below a Group Policy root (SOFTWARE\\Policies or \
             SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies): rdpgen writes no \
             preference (tattooing) values through `admx:`"
        ));
    }
    if k.split('\\').count() > 64 || k.len() > 1024 || k.starts_with('\\') || k.contains("\\\\") {
        return Err(format!("key `{k}` is not a registry key path"));
    }
    Ok(k)
}

/// A value name: no control characters, and not a Registry.pol command (`**del.`).
fn value_name(s: &str) -> Result<&'static str, String> {
    if s.starts_with("**") {
        return Err(format!(
            "value name `{s}` starts with `**`, which Registry.pol reads as a command"
        ));
    }
    checked("a value name", s)
}

fn flag(e: &Xml, name: &str) -> Result<bool, String> {
    match e.attribute(name) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(format!("`{name}=\"{other}\"` is not a boolean")),
    }
}

fn number<T: std::str::FromStr>(e: &Xml, name: &str, default: T) -> Result<T, String> {
    match e.attribute(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| format!("`{name}=\"{v}\"` is not a number in range")),
    }
}

fn value(e: Option<&Xml>) -> Result<Option<Value>, String> {
    let Some(e) = e else { return Ok(None) };
    let mut inner = e.elements();
    let (Some(v), None) = (inner.next(), inner.next()) else {
        return Err(format!("<{}> must hold exactly one value", e.local_name()));
    };
    Ok(Some(match v.local_name() {
        "decimal" => Value::Decimal(number(v, "value", 0u32)?),
        "longDecimal" => Value::LongDecimal(number(v, "value", 0u64)?),
        "string" => Value::String(checked("a string value", &v.text())?),
        "delete" => Value::Delete,
        other => return Err(format!("<{other}> is not a value")),
    }))
}

fn list(e: Option<&Xml>, owner_key: &'static str) -> Result<&'static [ListItem], String> {
    let Some(e) = e else { return Ok(&[]) };
    let default = match e.attribute("defaultKey") {
        Some(k) if !k.is_empty() => key(k)?,
        _ => owner_key,
    };
    let mut items = Vec::new();
    for item in e.elements_named("item") {
        let item_key = match item.attribute("key") {
            Some(k) if !k.is_empty() => key(k)?,
            _ => default,
        };
        items.push(ListItem {
            key: item_key,
            value_name: value_name(item.attribute("valueName").unwrap_or(""))?,
            value: value(item.element("value"))?
                .ok_or_else(|| "a list item without <value>".to_string())?,
        });
    }
    Ok(Vec::leak(items))
}

fn element(e: &Xml, policy_key: &'static str) -> Result<Element, String> {
    let id = checked("an element id", e.attribute("id").unwrap_or(""))?;
    if id.is_empty() {
        return Err(format!("a <{}> element without an id", e.local_name()));
    }
    let key = match e.attribute("key") {
        Some(k) if !k.is_empty() => key(k)?,
        _ => policy_key,
    };
    let value_name = value_name(e.attribute("valueName").unwrap_or(""))?;
    let required = flag(e, "required")?;
    let soft = flag(e, "soft")?;
    let kind = match e.local_name() {
        "boolean" => ElementKind::Boolean {
            on: value(e.element("trueValue"))?,
            off: value(e.element("falseValue"))?,
            on_list: list(e.element("trueList"), key)?,
            off_list: list(e.element("falseList"), key)?,
        },
        "decimal" => ElementKind::Decimal {
            min: number(e, "minValue", 0)?,
            max: number(e, "maxValue", 9999)?,
            store_as_text: flag(e, "storeAsText")?,
            required,
            soft,
        },
        "longDecimal" => ElementKind::LongDecimal {
            min: number(e, "minValue", 0)?,
            max: number(e, "maxValue", 9999)?,
            store_as_text: flag(e, "storeAsText")?,
            required,
            soft,
        },
        "text" => ElementKind::Text {
            max_length: number(e, "maxLength", 1023)?,
            expandable: flag(e, "expandable")?,
            required,
            soft,
        },
        "enum" => {
            let mut items = Vec::new();
            for item in e.elements_named("item") {
                let display = item.attribute("displayName").unwrap_or("");
                let name = display
                    .strip_prefix("$(string.")
                    .and_then(|s| s.strip_suffix(')'))
                    .ok_or_else(|| {
                        format!("enum {id}: an item's displayName `{display}` is not $(string.X)")
                    })?;
                items.push(EnumItem {
                    name: checked("an enum item name", name)?,
                    value: value(item.element("value"))?
                        .ok_or_else(|| format!("enum {id}: an item without <value>"))?,
                    value_list: list(item.element("valueList"), key)?,
                });
            }
            ElementKind::Enum {
                items: Vec::leak(items),
                required,
            }
        }
        "list" => ElementKind::List {
            value_prefix: match e.attribute("valuePrefix") {
                Some(p) => Some(checked("a value prefix", p)?),
                None => None,
            },
            additive: flag(e, "additive")?,
            explicit_value: flag(e, "explicitValue")?,
            expandable: flag(e, "expandable")?,
        },
        "multiText" => ElementKind::MultiText {
            max_length: number(e, "maxLength", 1023)?,
            max_strings: number(e, "maxStrings", 0)?,
            required,
            soft,
        },
        other => return Err(format!("<{other}> is not an ADMX element")),
    };
    if value_name.is_empty() && !matches!(kind, ElementKind::List { .. }) {
        return Err(format!("element `{id}` has no valueName"));
    }
    Ok(Element {
        id,
        key,
        value_name,
        kind,
    })
}

fn policy(p: &Xml, file: &'static str) -> Result<Policy, String> {
    let name = checked("a policy name", p.attribute("name").unwrap_or(""))?;
    if name.is_empty() || name.contains('/') {
        return Err(format!("`{name}` is not a policy name"));
    }
    let class = match p.attribute("class") {
        Some("Machine") => PolicyClass::Machine,
        Some("User") => PolicyClass::User,
        Some("Both") => PolicyClass::Both,
        other => return Err(format!("class {other:?} is not Machine, User or Both")),
    };
    let key = key(p.attribute("key").unwrap_or(""))?;
    let value_name = match p.attribute("valueName") {
        Some("") => {
            return Err("an empty valueName (the default value) is not written by rdpgen".into());
        }
        Some(v) => Some(value_name(v)?),
        None => None,
    };
    let elements = match p.element("elements") {
        Some(list) => list
            .elements()
            .map(|e| element(e, key))
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(Policy {
        file,
        name,
        class,
        key,
        value_name,
        enabled_value: value(p.element("enabledValue"))?,
        disabled_value: value(p.element("disabledValue"))?,
        enabled_list: list(p.element("enabledList"), key)?,
        disabled_list: list(p.element("disabledList"), key)?,
        elements: Vec::leak(elements),
        supported_on: checked(
            "a supportedOn reference",
            p.element("supportedOn")
                .and_then(|s| s.attribute("ref"))
                .unwrap_or(""),
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"><policies>"#;

    fn one(body: &str) -> Result<Vec<Policy>, ParseError> {
        parse(
            &format!("{HEAD}{body}</policies></policyDefinitions>"),
            "Contoso.admx",
        )
    }

    #[test]
    fn reads_a_policy_with_every_element_kind() {
        let got = one(
            r#"<policy name="P" class="Machine" key="Software\Policies\Contoso" valueName="On">
                 <enabledValue><decimal value="7"/></enabledValue>
                 <elements>
                   <boolean id="B" valueName="b"><trueValue><string>yes</string></trueValue></boolean>
                   <decimal id="D" valueName="d" minValue="5" maxValue="10" storeAsText="true"/>
                   <text id="T" valueName="t" expandable="true" maxLength="20"/>
                   <enum id="E" valueName="e"><item displayName="$(string.A)"><value><delete/></value></item></enum>
                   <list id="L" key="Software\Policies\Contoso\L" valuePrefix="x"/>
                   <multiText id="M" valueName="m"/>
                 </elements>
               </policy>"#,
        )
        .expect("parses");
        let p = &got[0];
        assert_eq!(p.id(), "Contoso/P");
        assert_eq!(p.enabled_value, Some(Value::Decimal(7)));
        assert_eq!(p.elements.len(), 6);
        assert_eq!(
            p.elements[1].kind,
            ElementKind::Decimal {
                min: 5,
                max: 10,
                store_as_text: true,
                required: false,
                soft: false
            }
        );
        assert_eq!(p.elements[4].key, r"Software\Policies\Contoso\L");
        assert!(matches!(
            p.elements[3].kind,
            ElementKind::Enum {
                items: [EnumItem {
                    name: "A",
                    value: Value::Delete,
                    ..
                }],
                ..
            }
        ));
    }

    #[test]
    fn refuses_what_would_reach_outputs_as_structure() {
        for (body, wants) in [
            (
                r#"<policy name="P" class="Machine" key="SYSTEM\CurrentControlSet\X" valueName="v"/>"#,
                "not below a Group Policy root",
            ),
            (
                "<policy name=\"P\" class=\"Machine\" key=\"Software\\Policies\\A&#10;]\" valueName=\"v\"/>",
                "control character",
            ),
            (
                "<policy name=\"P\" class=\"Machine\" key=\"Software\\Policies\\A\" valueName=\"v&#x202E;\"/>",
                "control character",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\A"><elements><decimal id="D" valueName="d" maxValue="x"/></elements></policy>"#,
                "not a number",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\A"><elements><widget id="W"/></elements></policy>"#,
                "not an ADMX element",
            ),
            (
                r#"<policy name="P" class="Everyone" key="Software\Policies\A"/>"#,
                "class",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\A" valueName="**delvals."/>"#,
                "starts with `**`",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\A]" valueName="v"/>"#,
                "cannot carry in a key",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\Café" valueName="v"/>"#,
                "cannot carry in a key",
            ),
            (
                r#"<policy name="P" class="Machine" key="Software\Policies\A"><elements><decimal id="D"/></elements></policy>"#,
                "has no valueName",
            ),
        ] {
            let e = one(body).expect_err(body);
            assert!(e.message.contains(wants), "{body}: {}", e.message);
            assert!(e.message.starts_with("policy P: "), "{}", e.message);
        }
        let e = parse("<policyDefinitions><policies>", "x.admx").expect_err("unclosed");
        assert!(e.offset > 0, "{e:?}");
    }
}
