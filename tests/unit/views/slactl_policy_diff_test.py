#!/usr/bin/env python3
"""`slactl policy diff` end to end on the trading-bot seed: the real binary,
the seed file and a candidate edited from it, a JSON-lines events file.
The expected moves are derived by hand in preview_test.cpp (same candidate,
same tickets); here: the command line, --at (an event stamped after it is
skipped, not the end of the file), the JSON answer, and exit codes.
Usage: slactl_policy_diff_test.py SLACTL SOURCE_DIR"""
import json
import os
import subprocess
import sys
import tempfile

slactl, src = sys.argv[1], sys.argv[2]
seed_path = os.path.join(src, "deploy", "policies", "trading-bot.yaml")
seed = open(seed_path).read()
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  " + detail))
    if not cond:
        failures.append(name)


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


cand = seed
cand = edit(cand, "response:   {within: 1h, calendar: 24x7}", "response:   {within: 2h, calendar: 24x7}")
cand = edit(cand, "      P4:\n        response:   {within: 3bd}", "      P4:\n        response:   {within: 2bd}")
cand = edit(cand, "      - {at: 4h, notify: [cto, rnd-team]}", "      - {at: 6h, notify: [cto, rnd-team]}")
cand = edit(cand, "  - name: p2-unresolved\n    match: {severity: P2, metric: resolution}\n    steps:\n"
                  "      - {at: 12h, notify: [cto, rnd-team]}     # 1 business day of cet-support\n", "")


def opened(tid, sev, at):
    return json.dumps({"eventId": tid + "-open", "ticketId": tid, "tenantId": "acme", "occurredAt": at,
                       "opened": {"plan": "standard", "severity": sev, "status": "open"}})


with tempfile.TemporaryDirectory() as tmp:
    new_path = os.path.join(tmp, "candidate.yaml")
    open(new_path, "w").write(cand)
    events = os.path.join(tmp, "events.jsonl")
    with open(events, "w") as f:
        f.write("# four open tickets; T-5 is opened after --at and listed in the middle\n")
        f.write(opened("T-1", "P1", "2026-03-02T10:00:00Z") + "\n")
        f.write(opened("T-5", "P1", "2026-03-02T11:00:00Z") + "\n")
        f.write(opened("T-2", "P3", "2026-03-02T10:00:00Z") + "\n")
        f.write(opened("T-3", "P4", "2026-03-02T10:00:00Z") + "\n")
        f.write(opened("T-4", "P2", "2026-03-02T10:00:00Z") + "\n")

    p = subprocess.run([slactl, "policy", "diff", seed_path, new_path, "--events", events,
                        "--at", "2026-03-02T10:30:00Z"], capture_output=True, text=True)
    check("exit 0", p.returncode == 0, p.stderr)
    j = json.loads(p.stdout)
    check("now is --at", j["now"] == "2026-03-02T10:30:00Z", j["now"])
    check("4 tickets (T-5 not yet opened)", j["tickets"] == 4, str(j["tickets"]))
    check("counts", (j["moved"], j["added"], j["removed"], j["tickets_changed"]) == (7, 0, 1, 3),
          str((j["moved"], j["added"], j["removed"], j["tickets_changed"])))
    by = {(c["ticket_id"], c["what"], c["metric"]): c for c in j["changes"]}
    c = by.get(("T-1", "deadline", "response"), {})
    check("T-1 response deadline +1h", c.get("moved_by_ms") == 3600000 and c.get("after") == "2026-03-02T12:00:00Z"
          and c.get("target_before_ms") == 3600000 and c.get("target_after_ms") == 7200000, str(c))
    c = by.get(("T-1", "escalated", "resolution"), {})
    check("T-1 unresolved step +2h", c.get("moved_by_ms") == 7200000, str(c))
    c = by.get(("T-3", "breached", "response"), {})
    check("T-3 breach -1 day", c.get("moved_by_ms") == -86400000 and c.get("after") == "2026-03-04T10:00:00Z", str(c))
    c = by.get(("T-4", "escalated", "resolution"), {})
    check("T-4 step removed", c.get("change") == "removed" and c.get("after") is None
          and c.get("before") == "2026-03-03T10:00:00Z", str(c))
    check("T-2 and T-5 unchanged", not any(k[0] in ("T-2", "T-5") for k in by), str(list(by)))
    check("target definitions", [(t["severity"], t["metric"], t["before"], t["after"]) for t in j["targets"]] ==
          [("P1", "response", "1h (24x7)", "2h (24x7)"), ("P4", "response", "3bd (cet-support)", "2bd (cet-support)")],
          str(j["targets"]))

    p = subprocess.run([slactl, "policy", "diff", seed_path, new_path], capture_output=True, text=True)
    j = json.loads(p.stdout)
    check("without events: definitions only", p.returncode == 0 and j["tickets"] == 0 and len(j["targets"]) == 2
          and j["changes"] == [], p.stdout[:300])

    p = subprocess.run([slactl, "policy", "diff", seed_path, new_path, "--events", events, "--limit", "2"],
                       capture_output=True, text=True)
    j = json.loads(p.stdout)
    check("--limit lists 2, counts all (default --at: the last event, T-5 included)",
          p.returncode == 0 and len(j["changes"]) == 2 and j["truncated"] and j["tickets"] == 5
          and j["now"] == "2026-03-02T11:00:00Z", p.stdout[:300])

    bad = os.path.join(tmp, "bad.yaml")
    open(bad, "w").write("version: 1\npolicy_id: x\nplans: 7\n")
    p = subprocess.run([slactl, "policy", "diff", seed_path, bad], capture_output=True, text=True)
    check("a bad candidate: exit 1 and file:line:col", p.returncode == 1 and "bad.yaml:" in p.stderr, p.stderr)

    with open(events, "a") as f:
        f.write("{not json\n")
    p = subprocess.run([slactl, "policy", "diff", seed_path, new_path, "--events", events], capture_output=True,
                       text=True)
    check("a bad event line: exit 1, named", p.returncode == 1 and "events.jsonl:7:" in p.stderr, p.stderr)

sys.exit(1 if failures else 0)
