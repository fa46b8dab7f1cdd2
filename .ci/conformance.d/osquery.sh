#!/usr/bin/env bash
# osquery: the pack's queries run in SQLite on osquery's tables for generated hosts, and diff's verdicts on the results log equal the collector path's
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
work="$out/osquery-play"
rm -rf "$work"
mkdir -p "$work/hosts"
rdpgen=./target/release/rdpgen
pack="$out/tier1-servers/osquery/tier1-servers.conf"
[ -f "$pack" ] || { echo "no osquery pack at $pack" >&2; exit 1; }
cp examples/hosts/*.json "$work/hosts/"
# Hosts never seen in the fixtures: drifted copies of the compliant one.
python3 - "$work/hosts" <<'PY'
import copy, json, sys
d = sys.argv[1]
base = json.load(open(f"{d}/tier1-compliant.json", encoding="utf-8-sig"))
def variant(name, change):
    s = copy.deepcopy(base)
    s["host"] = name
    change(s)
    json.dump(s, open(f"{d}/gen-{name}.json", "w"))
def setv(name, kind, data):
    def f(s):
        for v in s["registry"]:
            if v["name"].lower() == name.lower():
                v["type"], v["data"] = kind, data
    return f
def drop(name):
    return lambda s: s.__setitem__("registry", [v for v in s["registry"] if v["name"].lower() != name.lower()])
variant("GEN-LAYER", setv("SecurityLayer", "REG_DWORD", 0))
variant("GEN-ALLONES", setv("Enabled", "REG_DWORD", 4294967295))
variant("GEN-WRONGTYPE", setv("SecurityLayer", "REG_SZ", "2'); DROP TABLE registry; --\n\x1b[31m"))
variant("GEN-MISSING", drop("UserAuthentication"))
variant("GEN-NOCERT", lambda s: s.__setitem__("certificate", None))
variant("GEN-NOTLISTENING", lambda s: s["listener"].__setitem__("listening", False))
variant("GEN-PORT", setv("PortNumber", "REG_DWORD", 3390))
def self_signed(s):
    s["certificate"].update(store="Remote Desktop", selfSigned=True, issuer=s["certificate"]["subject"])
variant("GEN-RDSTORE", self_signed)
PY
python3 .ci/osquery-play.py "$pack" tier1-servers "$work/osqueryd.results.log" "$work"/hosts/*.json
# The listener pack, loaded as tier1-servers-listener, logs to the same file.
python3 .ci/osquery-play.py "${pack%.conf}-listener.conf" tier1-servers-listener "$work/listener.log" "$work"/hosts/*.json
cat "$work/listener.log" >> "$work/osqueryd.results.log"
"$rdpgen" diff examples/tier1.yaml "$work"/hosts/*.json --format json -o "$work/collector.json" || true
"$rdpgen" diff examples/tier1.yaml "$work/osqueryd.results.log" --format json -o "$work/osquery.json" || true
python3 .ci/osquery-compare.py "$work/collector.json" "$work/osquery.json"
