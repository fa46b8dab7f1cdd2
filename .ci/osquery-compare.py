#!/usr/bin/env python3
"""Compares `rdpgen diff --format json` on collector snapshots with the same on osquery results.

    osquery-compare.py COLLECTOR.json OSQUERY.json

Per host: the same failing checks, except checks of what osquery cannot see (certificate EKUs
and private key ACL, network categories, logon rights, account lockout), which must be "not verified" in the
osquery report — never "pass"; the same status, except compliant becoming incomplete for that
reason. Every collector host must be in the osquery report and no other. Exit 1 on a mismatch.
"""
import json
import sys

BLIND = (
    "certificate.eku", "certificate.privateKey", "consistency.networkCategory", "logonRights.",
    "posture.accountLockout.",
)


def blind(check_id):
    return check_id.startswith(BLIND)


def main():
    a = {h["host"]: h for h in json.load(open(sys.argv[1]))["hosts"]}
    b = {h["host"]: h for h in json.load(open(sys.argv[2]))["hosts"]}
    bad = []
    if set(a) != set(b):
        bad.append(f"hosts differ: collector {sorted(a)}, osquery {sorted(b)}")
    for host in sorted(set(a) & set(b)):
        x, y = a[host], b[host]
        fx = {c["id"] for c in x["checks"] if c["outcome"] == "fail"}
        fy = {c["id"] for c in y["checks"] if c["outcome"] == "fail"}
        outcome = {c["id"]: c["outcome"] for c in y["checks"]}
        for cid in sorted(fx ^ fy):
            if cid in fy or not blind(cid):
                bad.append(f"{host}: check {cid}: collector {'fail' if cid in fx else 'not fail'}, osquery {outcome.get(cid, 'absent')}")
        for c in y["checks"]:
            if blind(c["id"]) and c["outcome"] == "pass":
                bad.append(f"{host}: {c['id']} passes from osquery results, which cannot see it")
        statuses = (x["status"], y["status"])
        if statuses[0] != statuses[1] and statuses != ("compliant", "incomplete"):
            bad.append(f"{host}: collector {statuses[0]}, osquery {statuses[1]}")
        print(f"{host}: collector {statuses[0]}, osquery {statuses[1]}, failing {sorted(fy)}")
    for line in bad:
        print("MISMATCH " + line, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
