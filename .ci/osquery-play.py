#!/usr/bin/env python3
"""Plays osqueryd for rdpgen's osquery pack, in SQLite.

    osquery-play.py [--fleet FLEET.yml FLEET-OUT.json] PACK.conf PACK_NAME OUT.log SNAPSHOT.json[@UNIXTIME]...

For each collector snapshot: creates the tables the pack reads with osquery's columns
(registry, certificates, windows_firewall_rules, listening_ports; osquery's collations),
fills them with the host's state as osquery would show it (REG_DWORD as signed decimal text,
binary as upper-case hex, REG_MULTI_SZ joined by commas, the default value as `(Default)`,
subkey rows, a secret `Password` value the pack must not read, certificates with epoch times,
firewall rules with In/Out and profile bits), runs every query of the pack, and appends one
snapshot line per query to OUT.log as the filesystem logger writes it
(`name` = `pack_<PACK_NAME>_<query>`, `hostIdentifier`, `unixTime`). `@UNIXTIME` overrides
the capture time (several snapshots of one host). Exits 1 when a query fails in SQLite or reads
the secret. With `--fleet`, every Fleet policy of FLEET.yml runs on the same tables too, and
FLEET-OUT.json gets {host: {policy name: passes}}.
"""
import json
import sqlite3
import sys
from datetime import datetime, timezone

SCHEMA = [
    "CREATE TABLE registry (key TEXT COLLATE NOCASE, path TEXT, name TEXT, type TEXT, data TEXT, mtime BIGINT)",
    "CREATE TABLE certificates (common_name TEXT, subject TEXT, subject2 TEXT, issuer TEXT, issuer2 TEXT,"
    " ca INTEGER, self_signed INTEGER, not_valid_before DATETIME, not_valid_after DATETIME,"
    " signing_algorithm TEXT, key_algorithm TEXT, key_strength TEXT, key_usage TEXT,"
    " subject_key_id TEXT COLLATE NOCASE, authority_key_id TEXT COLLATE NOCASE, sha1 TEXT COLLATE NOCASE,"
    " path TEXT, serial TEXT COLLATE NOCASE, sid TEXT, store_location TEXT, store TEXT, username TEXT, store_id TEXT)",
    "CREATE TABLE windows_firewall_rules (name TEXT, app_name TEXT, action TEXT, enabled INTEGER, grouping TEXT,"
    " direction TEXT, protocol TEXT, local_addresses TEXT, remote_addresses TEXT, local_ports TEXT,"
    " remote_ports TEXT, icmp_types_codes TEXT, profile_domain INTEGER, profile_private INTEGER,"
    " profile_public INTEGER, service_name TEXT)",
    "CREATE TABLE listening_ports (pid INTEGER, port INTEGER, protocol INTEGER, family INTEGER, address TEXT,"
    " fd BIGINT, socket BIGINT, path TEXT)",
]

SECRET = "s3cret-never-read"


def epoch(rfc3339):
    return int(datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def hklm(key):
    for prefix in ("HKLM\\", "HKEY_LOCAL_MACHINE\\"):
        if key.upper().startswith(prefix.upper()):
            return "HKEY_LOCAL_MACHINE\\" + key[len(prefix):]
    return key


def osquery_data(kind, data):
    if kind == "REG_DWORD":
        n = int(data)
        return str(n - (1 << 32) if n >= 1 << 31 else n)
    if kind == "REG_QWORD":
        return str(int(data))
    if kind == "REG_MULTI_SZ":
        return ",".join(data)
    if kind == "REG_BINARY":
        return data.upper()
    if kind == "REG_NONE":
        return "(zero-length binary value)"
    return data


def fill(db, snap):
    keys = set()
    for v in snap.get("registry", []):
        key = hklm(v["key"])
        keys.add(key)
        name = v["name"] if v["name"] else "(Default)"
        db.execute(
            "INSERT INTO registry VALUES (?, ?, ?, ?, ?, 0)",
            (key, key + "\\" + v["name"], name, v["type"], osquery_data(v["type"], v["data"])),
        )
    for key in sorted(keys):
        parent, _, child = key.rpartition("\\")
        db.execute("INSERT INTO registry VALUES (?, ?, ?, 'subkey', '', 0)", (parent, key, child))
    rdp = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp"
    db.execute("INSERT INTO registry VALUES (?, ?, 'Password', 'REG_SZ', ?, 0)", (rdp, rdp + "\\Password", SECRET))
    cert = snap.get("certificate")
    if cert:
        db.execute(
            "INSERT INTO certificates (common_name, subject, issuer, ca, self_signed, not_valid_before, not_valid_after,"
            " key_algorithm, key_strength, key_usage, sha1, path, store_location, store) VALUES"
            " (?, ?, ?, -1, ?, ?, ?, 'RSA', ?, 'Digital Signature,Key Encipherment', ?, ?, 'LocalMachine', ?)",
            (
                cert["subject"], cert["subject"], cert["issuer"], 1 if cert["selfSigned"] else 0,
                epoch(cert["notBefore"]), epoch(cert["notAfter"]),
                str(cert["keySize"]) if cert.get("keySize") else None,
                cert["thumbprint"].upper(), "LocalMachine\\" + (cert.get("store") or "My"),
                cert.get("store") or "My",
            ),
        )
        if (cert.get("store") or "My") != "Remote Desktop":
            hashes = [v for v in snap.get("registry", []) if v["name"].lower() == "sslcertificatesha1hash"]
            if not hashes:
                db.execute(
                    "INSERT INTO registry VALUES (?, ?, 'SSLCertificateSHA1Hash', 'REG_BINARY', ?, 0)",
                    (rdp, rdp + "\\SSLCertificateSHA1Hash", cert["thumbprint"].upper()),
                )
    # A certificate the listener does not use.
    db.execute(
        "INSERT INTO certificates (subject, issuer, self_signed, not_valid_before, not_valid_after, key_strength,"
        " sha1, store_location, store) VALUES ('decoy', 'decoy', 0, 0, 1, '512', 'AB', 'LocalMachine', 'My')"
    )
    fw = snap.get("firewall")
    for r in (fw or {}).get("rules", []):
        profiles = [p.lower() for p in r.get("profiles", [])]
        every = not profiles or "any" in profiles
        bit = lambda p: 1 if every or p in profiles else 0
        proto = r["protocol"].upper()
        db.execute(
            "INSERT INTO windows_firewall_rules VALUES (?, ?, ?, ?, '', ?, ?, '*', ?, ?, '*', '', ?, ?, ?, ?)",
            (
                r["name"], r.get("program") or "", r["action"], 1 if r["enabled"] else 0,
                "In" if r["direction"].lower() == "inbound" else "Out",
                {"TCP": "TCP", "UDP": "UDP", "ANY": "Any"}.get(proto, ""),
                ",".join(r.get("remoteAddresses", [])) or "*",
                ",".join(r.get("localPorts", [])) or "*",
                bit("domain"), bit("private"), bit("public"), r.get("service") or "",
            ),
        )
    listener = snap.get("listener")
    if listener and listener.get("listening"):
        port = 3389
        for v in snap.get("registry", []):
            if v["name"].lower() == "portnumber" and v["key"].lower().endswith("rdp-tcp"):
                port = int(v["data"])
        db.execute("INSERT INTO listening_ports VALUES (1234, ?, 6, 2, '0.0.0.0', 0, 0, '')", (port,))


def yaml_scalar(text):
    text = text.strip()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def fleet_policies(path):
    """The (name, query) pairs of rdpgen's fleet-policies.yml (one-line scalars only)."""
    out, spec = [], {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("---"):
            if spec:
                out.append(spec)
            spec = {}
        elif line.startswith("  ") and ":" in line:
            k, _, v = line.strip().partition(": ")
            spec[k] = yaml_scalar(v)
    if spec:
        out.append(spec)
    return [(p["name"], p["query"]) for p in out]


def main():
    args = sys.argv[1:]
    fleet = None
    if args[:1] == ["--fleet"]:
        fleet, fleet_out, args = fleet_policies(args[1]), args[2], args[3:]
    if len(args) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    pack = json.load(open(args[0], encoding="utf-8"))
    name, out = args[1], args[2]
    verdicts = {}
    with open(out, "w", encoding="utf-8") as log:
        for arg in args[3:]:
            path, _, at = arg.partition("@")
            snap = json.load(open(path, encoding="utf-8-sig"))
            db = sqlite3.connect(":memory:")
            db.row_factory = sqlite3.Row
            for stmt in SCHEMA:
                db.execute(stmt)
            fill(db, snap)
            unix = int(at) if at else epoch(snap["capturedAt"])
            for pname, query in fleet or []:
                try:
                    passes = bool(db.execute(query).fetchall())
                except sqlite3.Error as e:
                    print(f"Fleet policy {pname} fails in SQLite: {e}", file=sys.stderr)
                    return 1
                verdicts.setdefault(snap["host"], {})[pname] = passes
            for qname, q in sorted(pack["queries"].items()):
                try:
                    rows = [dict(r) for r in db.execute(q["query"]).fetchall()]
                except sqlite3.Error as e:
                    print(f"query {qname} fails in SQLite: {e}", file=sys.stderr)
                    return 1
                text = json.dumps(rows)
                if SECRET in text:
                    print(f"query {qname} reads the RDP-Tcp Password value", file=sys.stderr)
                    return 1
                # osquery writes every column as text unless `numerics` is on.
                rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]
                line = {
                    "name": f"pack_{name}_{qname}",
                    "hostIdentifier": snap["host"],
                    "calendarTime": datetime.fromtimestamp(unix, timezone.utc).strftime("%a %b %d %H:%M:%S %Y UTC"),
                    "unixTime": unix,
                    "epoch": 0,
                    "counter": 0,
                    "numerics": False,
                    "snapshot": rows,
                    "action": "snapshot",
                }
                log.write(json.dumps(line) + "\n")
    if fleet is not None:
        json.dump(verdicts, open(fleet_out, "w", encoding="utf-8"), indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
