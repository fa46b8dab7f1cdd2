#!/usr/bin/env python3
"""Generates src/catalog/admx/generated.rs: every policy of Microsoft's TerminalServer.admx,
TerminalServer-Server.admx and CredSsp.admx as data (class, keys, value names, types, the
values of each state, elements, enum items). Facts only: no display name, no explain text.

    python3 scripts/gen-admx-catalog.py ../shared/reference/admx > src/catalog/admx/generated.rs

An independent reader (Python's ElementTree, not rdpgen's quick-xml parser): the unit test
`catalog::admx::tests::generated_matches_the_reference_files` parses the same files with
rdpgen's own reader and requires the two to agree on every policy.

Rules (Microsoft's ADMX schema, PolicyDefinitions.xsd defaults): decimal minValue 0,
maxValue 9999; text/multiText maxLength 1023; multiText maxStrings 0 (no limit); booleans
false. A list item's key is its own `key`, else its list's `defaultKey`, else the key of the
policy or element that owns the list; an element's key is its own `key`, else the policy's.
Keys are stored without a trailing `\` (Microsoft's files end a few with one; the registry
key is the same).
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FILES = ["TerminalServer.admx", "TerminalServer-Server.admx", "CredSsp.admx"]
NS = "{http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions}"


def rs(text):
    """A Rust string literal (the reference files hold ASCII, but escape anyway)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%x}" % ord(ch))
    return '"' + "".join(out) + '"'


def key_of(text):
    """A key as the catalog stores it: without a trailing backslash."""
    return text.rstrip("\\")


def boolean(node, name):
    return node.get(name, "false") == "true"


def value(node):
    """`<decimal value>`, `<longDecimal value>`, `<string>` or `<delete/>` inside `node`."""
    if node is None:
        return None
    children = list(node)
    assert len(children) == 1, f"one value expected in <{node.tag}>"
    c = children[0]
    tag = c.tag[len(NS):]
    if tag == "decimal":
        return f"Value::Decimal({int(c.get('value'))})"
    if tag == "longDecimal":
        return f"Value::LongDecimal({int(c.get('value'))})"
    if tag == "string":
        return f"Value::String({rs(c.text or '')})"
    if tag == "delete":
        return "Value::Delete"
    raise SystemExit(f"unknown value <{tag}>")


def option(v):
    return "None" if v is None else f"Some({v})"


def value_list(node, owner_key):
    """A `<enabledList>`/`<trueList>`/`<valueList>`: its items with resolved keys."""
    if node is None:
        return "&[]"
    default = key_of(node.get("defaultKey") or owner_key)
    items = []
    for item in node.findall(NS + "item"):
        key = key_of(item.get("key") or default)
        items.append(
            f"ListItem {{ key: {rs(key)}, value_name: {rs(item.get('valueName', ''))}, "
            f"value: {value(item.find(NS + 'value'))} }}"
        )
    return "&[" + ", ".join(items) + "]"


def element(e, policy_key):
    tag = e.tag[len(NS):]
    key = key_of(e.get("key") or policy_key)
    head = f"id: {rs(e.get('id'))}, key: {rs(key)}, value_name: {rs(e.get('valueName', ''))}"
    if tag == "boolean":
        kind = (
            f"ElementKind::Boolean {{ on: {option(value(e.find(NS + 'trueValue')))}, "
            f"off: {option(value(e.find(NS + 'falseValue')))}, "
            f"on_list: {value_list(e.find(NS + 'trueList'), key)}, "
            f"off_list: {value_list(e.find(NS + 'falseList'), key)} }}"
        )
    elif tag in ("decimal", "longDecimal"):
        variant = "Decimal" if tag == "decimal" else "LongDecimal"
        kind = (
            f"ElementKind::{variant} {{ min: {int(e.get('minValue', '0'))}, "
            f"max: {int(e.get('maxValue', '9999'))}, "
            f"store_as_text: {str(boolean(e, 'storeAsText')).lower()}, "
            f"required: {str(boolean(e, 'required')).lower()}, "
            f"soft: {str(boolean(e, 'soft')).lower()} }}"
        )
    elif tag == "text":
        kind = (
            f"ElementKind::Text {{ max_length: {int(e.get('maxLength', '1023'))}, "
            f"expandable: {str(boolean(e, 'expandable')).lower()}, "
            f"required: {str(boolean(e, 'required')).lower()}, "
            f"soft: {str(boolean(e, 'soft')).lower()} }}"
        )
    elif tag == "enum":
        items = []
        for item in e.findall(NS + "item"):
            name = item.get("displayName")
            assert name.startswith("$(string.") and name.endswith(")"), name
            items.append(
                f"EnumItem {{ name: {rs(name[9:-1])}, value: {value(item.find(NS + 'value'))}, "
                f"value_list: {value_list(item.find(NS + 'valueList'), key)} }}"
            )
        kind = (
            f"ElementKind::Enum {{ items: &[{', '.join(items)}], "
            f"required: {str(boolean(e, 'required')).lower()} }}"
        )
    elif tag == "list":
        prefix = e.get("valuePrefix")
        kind = (
            f"ElementKind::List {{ value_prefix: {option(None if prefix is None else rs(prefix))}, "
            f"additive: {str(boolean(e, 'additive')).lower()}, "
            f"explicit_value: {str(boolean(e, 'explicitValue')).lower()}, "
            f"expandable: {str(boolean(e, 'expandable')).lower()} }}"
        )
    elif tag == "multiText":
        kind = (
            f"ElementKind::MultiText {{ max_length: {int(e.get('maxLength', '1023'))}, "
            f"max_strings: {int(e.get('maxStrings', '0'))}, "
            f"required: {str(boolean(e, 'required')).lower()}, "
            f"soft: {str(boolean(e, 'soft')).lower()} }}"
        )
    else:
        raise SystemExit(f"unknown element <{tag}>")
    return f"Element {{ {head}, kind: {kind} }}"


def policy(file, p):
    key = key_of(p.get("key"))
    elements = p.find(NS + "elements")
    elems = [] if elements is None else [element(e, key) for e in elements]
    value_name = p.get("valueName")
    supported = p.find(NS + "supportedOn")
    return (
        "    Policy {\n"
        f"        file: {rs(file)},\n"
        f"        name: {rs(p.get('name'))},\n"
        f"        class: PolicyClass::{p.get('class')},\n"
        f"        key: {rs(key)},\n"
        f"        value_name: {option(None if value_name is None else rs(value_name))},\n"
        f"        enabled_value: {option(value(p.find(NS + 'enabledValue')))},\n"
        f"        disabled_value: {option(value(p.find(NS + 'disabledValue')))},\n"
        f"        enabled_list: {value_list(p.find(NS + 'enabledList'), key)},\n"
        f"        disabled_list: {value_list(p.find(NS + 'disabledList'), key)},\n"
        f"        elements: &[{', '.join(elems)}],\n"
        f"        supported_on: {rs('' if supported is None else supported.get('ref'))},\n"
        "    },\n"
    )


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: gen-admx-catalog.py ADMX_DIR > src/catalog/admx/generated.rs")
    root = Path(sys.argv[1])
    out = [
        "// @generated by scripts/gen-admx-catalog.py from Microsoft's "
        + ", ".join(FILES)
        + " (../shared/reference/admx). Do not edit: re-run the script.\n",
        "// Facts only (ids, keys, value names, types, data); no Microsoft prose.\n\n",
        "use super::{Element, ElementKind, EnumItem, ListItem, Policy, PolicyClass, Value};\n\n",
        "/// Every policy of the three files, in file order.\n",
        "pub(super) static POLICIES: &[Policy] = &[\n",
    ]
    for file in FILES:
        tree = ET.parse(root / file)
        for p in tree.getroot().iter(NS + "policy"):
            out.append(policy(file, p))
    out.append("];\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
