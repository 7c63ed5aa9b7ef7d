#!/bin/bash
# Creates sla-timer's topics on the compose broker (idempotent).
set -euo pipefail
k=/opt/kafka/bin/kafka-topics.sh
b=kafka:9092
$k --bootstrap-server $b --create --if-not-exists --topic tickets.events --partitions 4 --replication-factor 1
for t in sla.escalations sla.pages sla.dlq; do
  $k --bootstrap-server $b --create --if-not-exists --topic $t --partitions 1 --replication-factor 1
done
$k --bootstrap-server $b --create --if-not-exists --topic sla.deadlines --partitions 1 --replication-factor 1 \
  --config cleanup.policy=compact
$k --bootstrap-server $b --list
