#!/usr/bin/python3
"""`slactl replay` as a policy's unit test relies on it: the whole events file
is read with --until (a late line after one stamped beyond --until still
counts), a plain date is a valid --until, and every input line that did not do
what it says (undecodable, rejected, an ack of a page never sent) is named on
stderr with its line number and makes the exit status 3 (0 with
--allow-rejects).

    replay_test.py SLACTL SOURCE_DIR

Standard library only; one temporary directory, no servers.
"""
import json
import os
import subprocess
import sys
import tempfile

T = "LC02"
PAGE = f"{T}/resolution/0/page/levels-p0p1/1/backend-oncall/0/0"  # the P1 page sent at 07:00
failures = []


def event(seq, at, kind, body=None):
    return json.dumps({"eventId": f"{T}-{seq}", "ticketId": T, "tenantId": "store-2",
                       "occurredAt": f"2026-04-08T{at}:00Z", kind: body or {}})


OPENED = event(1, "07:00", "opened", {"plan": "cashier", "severity": "P1", "status": "open"})


class Run:
    def __init__(self, slactl, policy, tmp, lines, *extra):
        path = os.path.join(tmp, "events.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([slactl, "replay", "--policy", policy, "--events", path, *extra],
                           capture_output=True, text=True, timeout=60)
        self.code, self.err = p.returncode, p.stderr
        self.ids = [json.loads(l)["event"].get("eventId") or json.loads(l)["event"]["pageId"]
                    for l in p.stdout.splitlines() if l.strip()]
        self.fired = {i: json.loads(l)["event"]["firedAt"] for i, l in zip(self.ids, p.stdout.splitlines())}


def check(name, cond, run):
    if not cond:
        failures.append(f"FAIL {name}: exit {run.code}, outputs {run.ids}, stderr:\n{run.err}")
    else:
        print(f"ok   {name}")


def until_reads_the_whole_file(slactl, policy, tmp):
    # Line 3 is stamped after --until; line 4, a reply at 07:10, arrives late
    # but before --until: it meets the response clock (30m: no breach).
    lines = [OPENED, event(2, "12:00", "resolved"), event(3, "07:10", "responded")]
    r = Run(slactl, policy, tmp, lines, "--until", "2026-04-08T09:00:00Z")
    check("--until: a later line stamped before it is applied",
          r.code == 0 and f"{T}/response/0/met/0" in r.ids and f"{T}/response/0/breached/0" not in r.ids
          and r.fired[f"{T}/response/0/met/0"].startswith("2026-04-08T07:10:00"), r)
    check("--until: the events beyond it are counted on stderr",
          "1 event(s) stamped after --until 2026-04-08T09:00:00" in r.err, r)
    check("--until: the event beyond it is not applied", f"{T}/resolution/0/met/0" not in r.ids, r)


def until_takes_a_plain_date(slactl, policy, tmp):
    lines = [OPENED, event(2, "07:05", "responded")]
    date = Run(slactl, policy, tmp, lines, "--until", "2026-04-09")
    instant = Run(slactl, policy, tmp, lines, "--until", "2026-04-09T00:00:00Z")
    check("--until YYYY-MM-DD is midnight UTC", date.code == 0 and date.ids == instant.ids and date.ids, date)
    early = Run(slactl, policy, tmp, lines, "--until", "2026-04-08")
    check("--until YYYY-MM-DD before the events applies none", early.code == 0 and early.ids == [], early)
    bad = Run(slactl, policy, tmp, lines, "--until", "2026-02-30")
    check("--until: an impossible date is refused", bad.code == 1 and "--until" in bad.err, bad)


def rejects_exit_3(slactl, policy, tmp):
    lines = ["# a comment", OPENED, "{not json", event(2, "07:05", "severityChanged", {"severity": "P9"}),
             event(3, "07:10", "responded")]
    r = Run(slactl, policy, tmp, lines)
    check("undecodable and rejected lines: exit 3", r.code == 3, r)
    check("each named with its line number",
          "events.jsonl:3:" in r.err and "events.jsonl:4: rejected" in r.err and "2 input line(s)" in r.err, r)
    check("the other lines are still replayed", f"{T}/response/0/met/0" in r.ids, r)
    allowed = Run(slactl, policy, tmp, lines, "--allow-rejects")
    check("--allow-rejects: exit 0, same outputs, same stderr",
          allowed.code == 0 and allowed.ids == r.ids and allowed.err == r.err, allowed)


def unsent_page_ack_warns(slactl, policy, tmp):
    wrong = PAGE[:-1] + "7"
    lines = [OPENED, event(2, "07:05", "pageAcknowledged", {"pageId": wrong, "responder": "x"})]
    r = Run(slactl, policy, tmp, lines)
    check("an ack of a page never sent: named with line and page id, exit 3",
          r.code == 3 and f"events.jsonl:2: page_acknowledged for page \"{wrong}\"" in r.err, r)
    # The ladder's second page (attempt 1) is due at 07:15: at 07:05 it is not
    # sent yet (the engine stops the ladder on it all the same).
    second = PAGE[:-1] + "1"
    early = [OPENED, event(2, "07:05", "pageAcknowledged", {"pageId": second, "responder": "x"})]
    r = Run(slactl, policy, tmp, early)
    check("an ack of a page before it was sent: warned, exit 3",
          r.code == 3 and f"page \"{second}\" of ticket \"{T}\", which was not sent" in r.err, r)
    for name, pid in (("the page id", PAGE), ("its ladder key (dedup_key)", PAGE.rsplit("/", 2)[0])):
        lines = [OPENED, event(2, "07:05", "pageAcknowledged", {"pageId": pid, "responder": "x"})]
        r = Run(slactl, policy, tmp, lines)
        check(f"an ack of a page sent, by {name}: exit 0, no warning", r.code == 0 and r.err == "", r)


def main():
    slactl, src = sys.argv[1], sys.argv[2]
    policy = os.path.join(src, "deploy", "policies", "loyalty-cashier.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        for case in (until_reads_the_whole_file, until_takes_a_plain_date, rejects_exit_3, unsent_page_ack_warns):
            case(slactl, policy, tmp)
    for f in failures:
        print(f)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
