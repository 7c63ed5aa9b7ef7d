#!/usr/bin/env python3
"""Ticket lifecycles for the end-to-end tests, as proto3-JSON TicketEvent lines.

Deterministic for a seed and a `--now`. Every ticket of the sample policy
(deploy/policies/sample.yaml: plans starter, pro, enterprise; P0-P3) opens
between 30 h and 3 h before `--now` and goes through a realistic lifecycle
(agent updates, a response, a wait on the customer, sometimes a severity
change, a workaround, a page acknowledgement, resolution, sometimes a reopen)
and is closed at least a minute before `--now`. So once the daemon has
consumed the stream, every output it will ever produce for these tickets is
due in the past: the expected outputs are exactly what `slactl replay` prints
for the same lines, and nothing more arrives while the test collects.

The stream is in event-time order, as a ticketing system would send it, with
two kinds of noise a consumer must survive: about 3% of the events are sent
twice (same event_id), and half of the events of a ticket that sit next to
each other in the stream are swapped (out of order, never the opening or
the closing one).

    gen_events.py --tickets N [--seed S] [--now EPOCH_MS] [--prefix P] > events.jsonl
"""
import argparse
import datetime
import json
import random
import sys
import time

PLANS = {
    "starter": ["P0", "P1", "P2", "P3"],
    "pro": ["P0", "P1", "P2", "P3"],
    "enterprise": ["P0", "P1", "P2", "P3"],
}
MINUTE = 60_000
HOUR = 60 * MINUTE


def rfc3339(ms):
    dt = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def lifecycle(rng, ticket, tenant, now):
    plan = rng.choice(sorted(PLANS))
    severity = rng.choice(PLANS[plan])
    opened_at = now - rng.randint(3 * HOUR, 30 * HOUR)
    closed_by = now - MINUTE
    kinds = [("opened", {"plan": plan, "severity": severity, "status": "open"})]
    middle = [("agentUpdated", {}) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.85:
        middle.append(("responded", {}))
    if rng.random() < 0.4:
        middle += [("statusChanged", {"status": "pending_customer"}), ("statusChanged", {"status": "open"})]
    if rng.random() < 0.2:
        middle.append(("severityChanged", {"severity": rng.choice([s for s in PLANS[plan] if s != severity])}))
    if rng.random() < 0.3:
        middle.append(("workaroundProvided", {}))
    if severity == "P0" and rng.random() < 0.5:
        # Acknowledges the response page ladder of the p0-response step.
        middle.append(("pageAcknowledged", {"pageId": f"{ticket}/response/0/page/p0-response/1/t3",
                                            "responder": "ana"}))
    # The status pair stays in order; the rest is shuffled around it.
    rng.shuffle(middle)
    fixed = [k for k in middle if k[0] == "statusChanged"]
    middle = [k for k in middle if k[0] != "statusChanged"]
    if fixed:
        at = rng.randint(0, len(middle))
        middle[at:at] = fixed
    tail = [("resolved", {})]
    if rng.random() < 0.15:
        tail += [("reopened", {}), ("agentUpdated", {}), ("resolved", {})]
    tail.append(("closed", {}))
    kinds += middle + tail

    span = int((closed_by - opened_at) * rng.uniform(0.2, 1.0))
    offsets = sorted(rng.randint(1, span) for _ in range(len(kinds) - 1))
    times = [opened_at] + [opened_at + o for o in offsets]
    events = []
    for seq, ((kind, body), at) in enumerate(zip(kinds, times), start=1):
        events.append({
            "eventId": f"{ticket}-{seq}",
            "ticketId": ticket,
            "tenantId": tenant,
            "occurredAt": rfc3339(at),
            "sequence": str(seq),
            kind: body,
        })
    return [(at, e) for at, e in zip(times, events)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", type=int, default=int(time.time() * 1000), help="epoch ms; default: the clock")
    ap.add_argument("--prefix", default="E2E")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    timed = []
    for i in range(args.tickets):
        timed += lifecycle(rng, f"{args.prefix}-{i:05d}", f"tenant-{i % 7}", args.now)
    # Event-time order across tickets (stable: a ticket's own order is kept).
    timed.sort(key=lambda p: p[0])
    stream = [e for _, e in timed]
    # Out of order: swap a ticket's adjacent pair when they are close in time.
    for i in range(len(stream) - 1):
        a, b = stream[i], stream[i + 1]
        if a["ticketId"] == b["ticketId"] and "opened" not in a and "closed" not in b and rng.random() < 0.5:
            stream[i], stream[i + 1] = b, a
    out = []
    for e in stream:
        out.append(e)
        if rng.random() < 0.03:
            out.append(e)  # at-least-once upstream: the same event again
    for e in out:
        sys.stdout.write(json.dumps(e, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
