#!/usr/bin/env python3
"""Compare what independent implementations read from rdpgen's artifacts with the reviewed
model snapshot (tests/snapshots/<example>.model.txt, itself derived from the catalog).

usage: compare-values.py SNAPSHOT POL_JSON APPLY_JSON ROLLBACK_JSON

POL_JSON is Samba's parse of Registry.pol (pol2json.py); APPLY_JSON and ROLLBACK_JSON are the
values Samba, Wine and hivex agreed on after importing apply.reg / rollback.reg
(reg-import-check.sh --json). Exits 1 on any difference.
"""
import json
import re
import sys

LINE = re.compile(
    r"^  (policy|local) HKLM\\(.+)\\([^\\]+) (?:= (REG_\w+) (.*?)|delete)  <- (\S+).*; rollback (?:delete|restore (REG_\w+) (.*))$"
)
TYPES = {"REG_SZ": 1, "REG_BINARY": 3, "REG_DWORD": 4}


def parse_data(kind, text):
    if kind == "REG_DWORD":
        return int(text)
    if kind == "REG_SZ":
        return json.loads(text)  # the snapshot prints Rust's escaped string, JSON-compatible here
    if kind == "REG_BINARY":
        return {"hex": text}
    raise SystemExit(f"unexpected type {kind} in snapshot")


def expected(snapshot):
    apply, rollback = {}, {}
    for line in open(snapshot, encoding="utf-8"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            continue
        _, key, name, kind, data, _, rkind, rdata = m.groups()
        ident = (key.lower(), name.lower())
        if kind:
            apply[ident] = (TYPES[kind], parse_data(kind, data))
        if rkind:
            rollback[ident] = (TYPES[rkind], parse_data(rkind, rdata))
    return apply, rollback


def from_pol(path):
    out = {}
    for e in json.load(open(path))["entries"]:
        out[(e["key"].lower(), e["value"].lower())] = (e["type"], e["data"])
    return out


def from_import(path):
    out = {}
    for key, values in json.load(open(path)).items():
        key = key.split("\\", 1)[1]
        for name, v in values.items():
            data = {"hex": v["hex"]} if "hex" in v else v["data"]
            out[(key.lower(), name.lower())] = (v["type"], data)
    return out


def compare(what, want, got):
    bad = 0
    for ident in sorted(set(want) | set(got)):
        if want.get(ident) != got.get(ident):
            bad += 1
            print(f"  MISMATCH {what} {ident[0]}\\{ident[1]}: model {want.get(ident)} / read {got.get(ident)}")
    print(f"  {what}: {len(want)} expected values, {bad} mismatches")
    return bad


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    snapshot, pol, apply_json, rollback_json = sys.argv[1:]
    want_apply, want_rollback = expected(snapshot)
    if not want_apply:
        raise SystemExit(f"{snapshot}: no registry lines parsed")
    bad = compare("Registry.pol (Samba)", want_apply, from_pol(pol))
    bad += compare("apply.reg (Samba, Wine, hivex)", want_apply, from_import(apply_json))
    bad += compare("rollback.reg (Samba, Wine, hivex)", want_rollback, from_import(rollback_json))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
