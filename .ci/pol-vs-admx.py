#!/usr/bin/env python3
"""pol-vs-admx.py --admx DIR [--admx DIR ...] [--foreign-ok] [--allow KEY\\VALUE ...] POL_JSON ...

Judges Registry.pol files (as Samba's parser reads them: ../shared/validators/pol2json.py
output) against ADMX files, the way the Group Policy editor would read them back:

- every entry must be a value some Machine policy of the ADMX files writes, with a type and
  data that policy can write (its enabled/disabled value, a list item, an element's value in
  range, an enum item, a boolean's true/false value), or the deletion of such a value;
- every policy that an entry shows Enabled has a value for each required element, and a
  policy shown Disabled has no element value set.

Entries under the firewall policy key (MS-GPFAS, not ADMX) are counted apart. With
--foreign-ok, entries no loaded ADMX describes are counted, not failed (for Microsoft's
baseline GPOs, which hold many other templates' values); --allow exempts one value by name
(a policy whose ADMX is not among the files, such as RemoteAssistance.admx). Written independently of rdpgen:
Python's ElementTree, no rdpgen code. Exit 0 when every entry is explained, 1 otherwise.
"""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = "{http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions}"
REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_MULTI_SZ, REG_QWORD = 1, 2, 4, 7, 11
FIREWALL = "software\\policies\\microsoft\\windowsfirewall"


def norm(key):
    return key.strip("\\").lower()


def value_of(node):
    """(type, data) of a <decimal>/<longDecimal>/<string>/<delete> holder; None for delete."""
    if node is None:
        return "absent"
    (c,) = list(node)
    tag = c.tag[len(NS):]
    if tag == "decimal":
        return (REG_DWORD, int(c.get("value")))
    if tag == "longDecimal":
        return (REG_QWORD, int(c.get("value")))
    if tag == "string":
        return (REG_SZ, c.text or "")
    return None


class Slot:
    """One registry value (or a list's whole key) an ADMX policy writes, and what it accepts."""

    def __init__(self, policy, role, accepts, element=None, name_ok=None):
        self.policy, self.role, self.accepts, self.element = policy, role, accepts, element
        # For a list's key: whether a value name fits the list's naming (None: any name).
        self.name_ok = name_ok


def load(dirs):
    values = {}   # (key, name) -> [Slot]
    keys = {}     # key -> [Slot] (list elements)
    policies = {}
    for d in dirs:
        for path in sorted(Path(d).glob("*.admx")):
            root = ET.parse(path).getroot()
            for p in root.iter(NS + "policy"):
                if p.get("class") == "User":
                    continue
                pid = f"{path.stem}/{p.get('name')}"
                pkey = p.get("key")
                info = {"required": [], "elements": [], "id": pid}
                policies[pid] = info

                def add(key, name, role, accepts, element=None):
                    values.setdefault((norm(key), name.lower()), []).append(
                        Slot(info, role, accepts, element))

                def add_list(node, owner_key, role):
                    if node is None:
                        return
                    default = node.get("defaultKey") or owner_key
                    for item in node.findall(NS + "item"):
                        v = value_of(item.find(NS + "value"))
                        add(item.get("key") or default, item.get("valueName"), role,
                            lambda t, d, v=v: (v is None and t is None) or (v is not None and (t, d) == v))

                vn = p.get("valueName")
                if vn:
                    on = value_of(p.find(NS + "enabledValue"))
                    off = value_of(p.find(NS + "disabledValue"))
                    on = (REG_DWORD, 1) if on == "absent" else on
                    off = None if off == "absent" else off

                    def policy_value(t, d, on=on, off=off):
                        if t is None:
                            return off is None or on is None
                        return (t, d) in (on, off)
                    add(pkey, vn, "value", policy_value)
                    info["on"], info["off"], info["vn"] = on, off, (norm(pkey), vn.lower())
                add_list(p.find(NS + "enabledList"), pkey, "enabledList")
                add_list(p.find(NS + "disabledList"), pkey, "disabledList")
                elements = p.find(NS + "elements")
                for e in ([] if elements is None else list(elements)):
                    tag = e.tag[len(NS):]
                    ekey = e.get("key") or pkey
                    name = e.get("valueName", "")
                    eid = e.get("id")
                    info["elements"].append((eid, norm(ekey), name.lower(), tag))
                    if e.get("required") == "true":
                        info["required"].append(eid)
                    if tag in ("decimal", "longDecimal"):
                        lo, hi = int(e.get("minValue", "0")), int(e.get("maxValue", "9999"))
                        text = e.get("storeAsText") == "true"
                        want = REG_SZ if text else (REG_DWORD if tag == "decimal" else REG_QWORD)

                        def dec(t, d, lo=lo, hi=hi, want=want, text=text):
                            if t is None:
                                return True
                            if t != want:
                                return False
                            n = int(d) if text and str(d).isdigit() else (d if not text else None)
                            return n is not None and lo <= n <= hi
                        add(ekey, name, "element", dec, eid)
                    elif tag == "text":
                        want = REG_EXPAND_SZ if e.get("expandable") == "true" else REG_SZ
                        limit = int(e.get("maxLength", "1023"))
                        add(ekey, name, "element",
                            lambda t, d, want=want, limit=limit: t is None or (t == want and len(d) <= limit), eid)
                    elif tag == "multiText":
                        add(ekey, name, "element", lambda t, d: t is None or t == REG_MULTI_SZ, eid)
                    elif tag == "enum":
                        items = [value_of(i.find(NS + "value")) for i in e.findall(NS + "item")]
                        add(ekey, name, "element",
                            lambda t, d, items=items: t is None or (t, d) in items, eid)
                        for i in e.findall(NS + "item"):
                            add_list(i.find(NS + "valueList"), ekey, "valueList")
                    elif tag == "boolean":
                        on = value_of(e.find(NS + "trueValue"))
                        off = value_of(e.find(NS + "falseValue"))
                        on = (REG_DWORD, 1) if on == "absent" else on
                        off = None if off == "absent" else off
                        add(ekey, name, "element",
                            lambda t, d, on=on, off=off: (t is None and off is None) or (t, d) in (on, off), eid)
                        add_list(e.find(NS + "trueList"), ekey, "trueList")
                        add_list(e.find(NS + "falseList"), ekey, "falseList")
                    elif tag == "list":
                        want = REG_EXPAND_SZ if e.get("expandable") == "true" else REG_SZ
                        prefix = e.get("valuePrefix")
                        explicit = e.get("explicitValue") == "true"

                        def list_name(name, data, prefix=prefix, explicit=explicit):
                            if name == "" or explicit:
                                return True  # `**delvals.`, or names the admin chose
                            if prefix is not None:
                                rest = name[len(prefix):] if name.lower().startswith(prefix.lower()) else ""
                                return rest.isdigit() and not rest.startswith("0")
                            return data is None or name == data  # named by the entry itself

                        keys.setdefault(norm(ekey), []).append(
                            Slot(info, "list", lambda t, d, want=want: t is None or t == want, eid,
                                 name_ok=list_name))
    return values, keys, policies


def judge(path, values, keys, policies, foreign_ok, allowed):
    entries = json.load(open(path))["entries"]
    problems, explained, firewall, foreign = [], 0, 0, 0
    touched = {}  # policy id -> {"set": set of element ids, "value": data or None}
    for e in entries:
        key, name, t, d = e["key"], e["value"], e["type"], e["data"]
        if norm(key).startswith(FIREWALL):
            firewall += 1
            continue
        deleting = None
        if name.lower().startswith("**del."):
            deleting, t, d = name[6:], None, None
        elif name.lower().startswith("**delvals"):
            deleting, t, d = "", None, None
        elif name == "" and t == 0:
            continue  # a "create key" entry
        lookup = deleting if deleting is not None else name
        slots = values.get((norm(key), lookup.lower()), []) if lookup else []
        slots = slots + keys.get(norm(key), [])
        ok = [s for s in slots
              if s.accepts(t, d) and (s.name_ok is None or s.name_ok(lookup, d))]
        if not slots:
            if foreign_ok or f"{norm(key)}\\{lookup.lower()}" in allowed:
                foreign += 1
                continue
            problems.append(f"{key}\\{name}: no ADMX policy writes this value")
            continue
        if not ok:
            ids = sorted({s.policy["id"] for s in slots})
            problems.append(f"{key}\\{name} = {e['type_name']} {d!r}: not a value {', '.join(ids)} can write")
            continue
        explained += 1
        if len({s.policy["id"] for s in ok}) == 1:
            s = ok[0]
            rec = touched.setdefault(s.policy["id"], {"set": set(), "value": "unseen"})
            if s.role == "value":
                rec["value"] = (t, d) if t is not None else None
            elif s.role in ("element", "list") and t is not None:
                rec["set"].add(s.element)
    for pid, rec in touched.items():
        info = policies[pid]
        if rec["value"] == "unseen":
            state = "enabled" if rec["set"] else None
        elif rec["value"] == info.get("on"):
            state = "enabled"
        elif rec["value"] == info.get("off"):
            state = "disabled"
        else:
            state = None
        if state == "enabled":
            missing = [r for r in info["required"] if r not in rec["set"]]
            if missing:
                problems.append(f"{pid} reads as Enabled without its required element(s) {', '.join(missing)}")
        elif state == "disabled" and rec["set"]:
            problems.append(f"{pid} reads as Disabled but sets {', '.join(sorted(rec['set']))}")
    return problems, explained, firewall, foreign, len(touched)


def main(argv):
    dirs, files, foreign_ok, allowed = [], [], False, set()
    it = iter(argv)
    for a in it:
        if a == "--admx":
            dirs.append(next(it))
        elif a == "--allow":
            k, _, v = next(it).rpartition("\\")
            allowed.add(f"{norm(k)}\\{v.lower()}")
        elif a == "--foreign-ok":
            foreign_ok = True
        else:
            files.append(a)
    if not dirs or not files:
        print(__doc__)
        return 2
    values, keys, policies = load(dirs)
    failed = 0
    for f in files:
        problems, explained, firewall, foreign, touched = judge(f, values, keys, policies, foreign_ok, allowed)
        status = "FAIL" if problems else "ok"
        print(f"{status} {f}: {explained} entries written as {touched} ADMX policies allow, "
              f"{firewall} firewall (MS-GPFAS), {foreign} outside the loaded ADMX")
        for p in problems:
            print(f"  - {p}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
