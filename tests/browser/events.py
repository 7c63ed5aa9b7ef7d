#!/usr/bin/env python3
"""Writes the browser test's ticket stream (JSON lines for `slactl produce
--json`) with times relative to NOW (RFC 3339, argument 1): the same tickets,
the same story, every run.

  B-1 acme    gold/P1   opened 2h ago: response breached 1h ago, paged ana (unacked)
  B-2 acme    gold/P1   opened 30m ago: response due in 30m (at risk)
  B-3 initech gold/P2   opened 3h30m ago: response due in 30m (at risk)
  B-4 initech silver/P1 opened 3h ago: response overdue by 1h
  B-5 globex  silver/P2 opened 1h ago: response due in 7h
  B-6 acme    gold/P1   opened 50m ago, responded 40m ago (met); resolution due in 7h10m
  B-7 acme    gold/P2   opened 2h ago, pending_customer for 30m: response due in 2h30m
  B-8 globex  gold/P1   opened 3h ago: breached 2h ago, paged ana, acknowledged by ana
"""
import datetime as dt
import json
import sys

now = dt.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
lines = []


def at(minutes_ago):
    return (now - dt.timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(ticket, tenant, minutes_ago, n, **kind):
    lines.append(dict(eventId=f"{ticket}-{n}", ticketId=ticket, tenantId=tenant, occurredAt=at(minutes_ago), **kind))


def opened(ticket, tenant, plan, severity, minutes_ago):
    event(ticket, tenant, minutes_ago, 0, opened={"plan": plan, "severity": severity, "status": "open"})


opened("B-1", "acme", "gold", "P1", 120)
opened("B-2", "acme", "gold", "P1", 30)
opened("B-3", "initech", "gold", "P2", 210)
opened("B-4", "initech", "silver", "P1", 180)
opened("B-5", "globex", "silver", "P2", 60)
opened("B-6", "acme", "gold", "P1", 50)
event("B-6", "acme", 40, 1, responded={})
opened("B-7", "acme", "gold", "P2", 120)
event("B-7", "acme", 90, 1, statusChanged={"status": "pending_customer"})
event("B-7", "acme", 60, 2, statusChanged={"status": "open"})
opened("B-8", "globex", "gold", "P1", 180)
event("B-8", "globex", 110, 1, pageAcknowledged={"pageId": "B-8/response/0/page/wake/1/ops/0/0", "responder": "ana"})

for line in lines:
    print(json.dumps(line))
