#!/bin/bash
# Demo ticket traffic for the compose setup: every 20 s a ticket is opened
# now on a random plan and severity of the sample policy; two in three are
# answered 1-10 minutes later, the rest never (their response SLAs warn and
# breach on the wall clock). Each event goes through `slactl produce`
# (proto3-JSON in, protobuf on the topic).
set -euo pipefail
plans=(starter pro enterprise)
sevs=(P0 P1 P2)
n=0
declare -A due=()   # ticket -> epoch second to answer it
produce() { echo "$1" | slactl produce --brokers "${SLA_KAFKA_BROKERS:-kafka:9092}" >/dev/null; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
while :; do
  n=$((n + 1))
  id="DEMO-$(date +%s)-$n"
  tenant="tenant-$((RANDOM % 5))"
  produce "{\"eventId\":\"$id-open\",\"ticketId\":\"$id\",\"tenantId\":\"$tenant\",\"occurredAt\":\"$(now)\",\"opened\":{\"plan\":\"${plans[RANDOM % 3]}\",\"severity\":\"${sevs[RANDOM % 3]}\",\"status\":\"open\"}}"
  echo "opened $id"
  if ((RANDOM % 3 != 0)); then due[$id]=$(($(date +%s) + 60 + RANDOM % 540))"|$tenant"; fi
  for t in "${!due[@]}"; do
    at="${due[$t]%%|*}"
    if (($(date +%s) >= at)); then
      produce "{\"eventId\":\"$t-resp\",\"ticketId\":\"$t\",\"tenantId\":\"${due[$t]#*|}\",\"occurredAt\":\"$(now)\",\"responded\":{}}"
      echo "responded $t"
      unset "due[$t]"
    fi
  done
  sleep 20
done
