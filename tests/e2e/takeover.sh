#!/usr/bin/env bash
# e2e.takeover: how soon the survivor fires a dead instance's timers (SPEC 7,
# "Failover": within 10 s of a kill -9 of one of two instances).
#
# Two sla-timerd instances with the daemon's own group settings (no test
# overrides: session.timeout.ms 6000, heartbeat 1000, cooperative-sticky)
# share the four partitions of the input topic. Sixteen enterprise P0
# tickets, spread over the partitions, each have a page (the 30-minute step
# of enterprise-p0-resolution) due 3 s after the moment instance a is
# killed with SIGKILL. Every page must reach sla.pages exactly once, never
# before it is due, and within 10 s of the kill; those of a's partitions can
# only come from b, once it has taken them over. Prints kill-to-page for
# a's tickets (the takeover figure) and lateness for b's own.
#
#   takeover.sh SLA_TIMERD SLACTL [SOURCE_DIR]
#
# Environment: SLA_TAKEOVER_LIMIT_S (default 10), SLA_E2E_KEEP.
set -euo pipefail

TIMERD="${1:?usage: takeover.sh SLA_TIMERD SLACTL [SOURCE_DIR]}"
SLACTL="${2:?slactl path}"
SRC="${3:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
E2E_NAME="e2e.takeover"
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIMIT_MS=$((${SLA_TAKEOVER_LIMIT_S:-10} * 1000))
TICKETS=16
DUE_AFTER_KILL_MS=3000

now_ms() { date +%s%3N; }
rfc3339_ms() { date -u -d "@$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }

# owned_by NAME: the input partitions NAME owns now, from its log (assigned
# adds, revoked removes, in order), one per line.
owned_by() {
  "$PY" - "$WORK/$1.out" "$INPUT_TOPIC" <<'EOF'
import re, sys
owned = set()
pat = re.compile(r"\b(assigned|revoked) " + re.escape(sys.argv[2]) + r"/(\d+)\b")
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    for verb, p in pat.findall(line):
        (owned.add if verb == "assigned" else owned.discard)(int(p))
print("\n".join(str(p) for p in sorted(owned)))
EOF
}

# Both instances serve two partitions each (the group has settled).
wait_split() {
  local deadline=$((SECONDS + 60)) na nb
  while :; do
    na="$(metric a sla_assigned_partitions)"
    nb="$(metric b sla_assigned_partitions)"
    if ((na == 2 && nb == 2)); then break; fi
    ((SECONDS < deadline)) || fail "the partitions never split 2/2 (a owns $na, b owns $nb)"
    sleep 0.2
  done
  say "a owns partitions $(owned_by a | paste -sd, -), b owns $(owned_by b | paste -sd, -)"
}

# The tickets: enterprise P0 opened 30 min before DUE, so the first step of
# enterprise-p0-resolution pages at DUE (what fires at once on consumption,
# the response page and breach, is before the kill and not measured).
write_tickets() {  # DUE_MS FILE
  local opened=$(($1 - 30 * 60 * 1000)) i
  : >"$2"
  for i in $(seq -w 1 "$TICKETS"); do
    printf '{"eventId":"TO-%s-1","ticketId":"TO-%s","tenantId":"acme","occurredAt":"%s","opened":{"plan":"enterprise","severity":"P0","status":"open"}}\n' \
      "$i" "$i" "$(rfc3339_ms "$opened")" >>"$2"
  done
}

# ticket -> input partition, from the input topic itself.
ticket_partitions() {  # OUT
  "$SLACTL" tail --brokers "$BOOTSTRAP" --topics "$INPUT_TOPIC" --idle-timeout 3 2>>"$WORK/tail.err" |
    "$PY" -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(r["key"], r["partition"])' >"$1"
}

e2e_init
start_redis
start_kafka 4
# Created now, so the tail below sees it from the start.
"$BROKER" create-topic "$WORK/kafka" sla.pages 1 || fail "could not create sla.pages"
"$SLACTL" tail --brokers "$BOOTSTRAP" --topics sla.pages >"$WORK/pages.jsonl" 2>>"$WORK/tail.err" &
TAIL_PID=$!
start_timerd a
wait_ready a
start_timerd b
wait_ready b
wait_split

due=$(($(now_ms) + 12000))
kill_at=$((due - DUE_AFTER_KILL_MS))
write_tickets "$due" "$WORK/events.jsonl"
produce "$WORK/events.jsonl"
wait_committed "$TICKETS" 30 0.1
ticket_partitions "$WORK/partitions.txt"
owned_by a >"$WORK/a.partitions"
((kill_at - $(now_ms) > 500)) || fail "too slow to set up: the kill would come after $(rfc3339_ms "$kill_at")"
while (($(now_ms) < kill_at)); do sleep 0.05; done
kill -KILL "${TIMERD_PIDS[a]}"
killed=$(now_ms)
wait "${TIMERD_PIDS[a]}" 2>/dev/null || true
unset "TIMERD_PIDS[a]"
say "a killed with SIGKILL at $(rfc3339_ms "$killed"); the pages are due at $(rfc3339_ms "$due")"

# Arrival time of each ticket's page, polled every 50 ms.
declare -A arrived=()
deadline=$((killed + LIMIT_MS + 5000))
while ((${#arrived[@]} < TICKETS)) && (($(now_ms) < deadline)); do
  t=$(now_ms)
  while read -r id; do
    if [[ -n "$id" && -z "${arrived[$id]:-}" ]]; then arrived[$id]=$t; fi
  done < <({ grep 'enterprise-p0-resolution' "$WORK/pages.jsonl" || true; } |
    sed -n 's/.*"key":"\(TO-[0-9]*\)".*/\1/p' | sort -u)
  sleep 0.05
done
sleep 2  # a duplicate would come now, with the rest of its batch
kill "$TAIL_PID" 2>/dev/null || true
wait "$TAIL_PID" 2>/dev/null || true

"$PY" - "$WORK/pages.jsonl" "$WORK/partitions.txt" "$WORK/a.partitions" "$killed" "$due" "$LIMIT_MS" \
  "$(for id in "${!arrived[@]}"; do printf '%s=%s,' "$id" "${arrived[$id]}"; done)" "$TICKETS" <<'EOF' || fail "takeover too slow or pages wrong"
import collections, json, sys
pages_path, parts_path, owned_path, killed, due, limit = sys.argv[1:7]
killed, due, limit = int(killed), int(due), int(limit)
arrived = dict(kv.split("=") for kv in sys.argv[7].split(",") if kv)
part = dict(line.split() for line in open(parts_path) if line.strip())
a_parts = {l.strip() for l in open(owned_path) if l.strip()}
copies = collections.Counter()
for line in open(pages_path):
    r = json.loads(line)
    ev = r.get("event", {})
    if r["key"].startswith("TO-") and "enterprise-p0-resolution" in json.dumps(ev):
        copies[ev.get("pageId", "")] += 1
bad = []
taken, own = [], []
a_tickets = 0
for i in range(1, int(sys.argv[8]) + 1):
    t = "TO-%02d" % i
    a_tickets += part.get(t) in a_parts
    if t not in arrived:
        whose = "a" if part.get(t) in a_parts else "b"
        bad.append(f"{t} (partition {part.get(t)}, {whose}'s): no page within {limit + 5000} ms of the kill")
        continue
    at = int(arrived[t])
    if at < due:
        bad.append(f"{t}: paged {due - at} ms before it was due")
    if part.get(t) in a_parts:
        taken.append((at - killed, t))
        if at - killed > limit:
            bad.append(f"{t} (partition {part[t]}, a's): paged {at - killed} ms after the kill (limit {limit})")
    else:
        own.append((at - due, t))
for pid, n in copies.items():
    if n != 1:
        bad.append(f"page {pid}: {n} copies")
if not a_tickets:
    bad.append("no ticket landed on a's partitions: nothing measured")
taken.sort(); own.sort()
if taken:
    print(f"takeover: kill-to-page for a's {len(taken)} tickets: first {taken[0][0]} ms, last {taken[-1][0]} ms "
          f"(due {due - killed} ms after the kill; limit {limit} ms)")
if own:
    print(f"takeover: b's own {len(own)} tickets paged {own[0][0]}-{own[-1][0]} ms after due")
for b in bad:
    print("takeover:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
stop_timerd b
PASSED=1
say "passed"
