#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, single node: broker + controller in one
# JVM) for the end-to-end tests, bound to 127.0.0.1 only.
#
#   kafka_broker.sh fetch                      fetch the jars into the cache (once)
#   kafka_broker.sh start DIR                  format DIR/data, start, wait, print the bootstrap address
#   kafka_broker.sh stop DIR                   TERM, then KILL after a timeout; leaves DIR as it is
#   kafka_broker.sh restart DIR                stop, then start again on the same data and ports
#   kafka_broker.sh bootstrap DIR              print the bootstrap address of a started broker
#   kafka_broker.sh create-topic DIR NAME PARTITIONS [TopicCommand args...]
#                                              e.g. ... sla.deadlines 1 --config cleanup.policy=compact
#   kafka_broker.sh console-produce DIR TOPIC [ConsoleProducer args...]
#                                              Kafka's own console producer: stdin lines
#                                              "HEADERS<TAB>KEY<TAB>VALUE" (HEADERS: h:v,h:v),
#                                              sent as they are, unvalidated (e.g.
#                                              --producer-property max.request.size=N)
#   kafka_broker.sh end-offsets DIR TOPIC      print "TOPIC:PARTITION:END_OFFSET" lines
#   kafka_broker.sh client-env DIR             SASL_SSL mode: print the SLA_KAFKA_* lines a
#                                              client needs (VAR=VALUE, one a line)
#
# SASL_SSL mode (opt-in: SLA_KAFKA_SECURITY=sasl_ssl at `start`): the broker
# also listens on a SASL_SSL listener for clients, SCRAM-SHA-512 over TLS,
# with a certificate for 127.0.0.1 and localhost signed by a CA made here
# (openssl: DIR/tls/ca.crt, the broker's key in a PKCS12 keystore) and one
# SCRAM user added when the storage is formatted (SLA_KAFKA_SCRAM_USER,
# default "sla"; SLA_KAFKA_SCRAM_PASSWORD, default random). `client-env`
# prints the settings for sla-timerd and slactl. `bootstrap` and the admin
# subcommands keep using the PLAINTEXT listener, which like the controller
# and inter-broker traffic stays on loopback; restart keeps every listener.
#
# The jars come from Maven Central through `mvn` (Debian package: maven) and
# are cached in ${SLA_CACHE:-$HOME/.cache/sla-timer}/kafka-<version>/libs.
# Needs java (17 or later), mvn (first run only), python3 (free ports) and,
# for SASL_SSL, openssl.
# Environment: SLA_KAFKA_VERSION, SLA_CACHE, SLA_KAFKA_HEAP (default 512m),
# SLA_KAFKA_START_TIMEOUT (seconds, default 90), SLA_KAFKA_STOP_TIMEOUT (default 30).
set -euo pipefail

KAFKA_VERSION="${SLA_KAFKA_VERSION:-3.9.1}"
SLF4J_VERSION="1.7.36"
RELOAD4J_VERSION="1.2.25"
CACHE_ROOT="${SLA_CACHE:-${HOME:-/tmp}/.cache/sla-timer}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
HEAP="${SLA_KAFKA_HEAP:-512m}"
START_TIMEOUT="${SLA_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${SLA_KAFKA_STOP_TIMEOUT:-30}"

die() { echo "kafka_broker.sh: $*" >&2; exit 1; }
log() { echo "kafka_broker.sh: $*" >&2; }

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"; }

# --- jars -------------------------------------------------------------------

fetch() {
  [[ -f "$LIBS/.complete" ]] && return 0
  need java "install a JDK 17+, e.g. Debian's openjdk-17-jre-headless"
  need mvn "install Debian's maven package"
  mkdir -p "$KAFKA_HOME"
  # One fetch at a time per version (parallel test runs share the cache).
  exec 9>"$KAFKA_HOME/.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [[ -f "$LIBS/.complete" ]]; then exec 9>&-; return 0; fi
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS (once)"
  local work
  work="$(mktemp -d "$KAFKA_HOME/fetch.XXXXXX")"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.sla-timer.e2e</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1; then
    cat "$work/mvn.log" >&2
    rm -rf "$work"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  ls "$work/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || { rm -rf "$work"; die "no kafka jar after the fetch"; }
  touch "$work/libs/.complete"
  rm -rf "$LIBS"
  mv "$work/libs" "$LIBS"
  rm -rf "$work"
  exec 9>&-
}

# --- helpers ----------------------------------------------------------------

# Two distinct free TCP ports on 127.0.0.1 (the kernel picks; a tiny race
# until the broker binds them is accepted).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.
# URL-safe base64 can start with '-', which kafka-storage's argument parser
# takes for an option ("argument --cluster-id/-t: expected one argument"; one
# start in 64 failed that way), so draw again until it starts with a letter
# or digit, as Kafka's own Uuid.randomUuid() does.
cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" =~ ^[A-Za-z0-9] ]] && break
  done
  printf '%s\n' "$id"
}

# The PID in DIR/broker.pid, if that process is still our broker.
live_pid() {
  local dir="$1" pid
  [[ -f "$dir/broker.pid" ]] || return 1
  pid="$(cat "$dir/broker.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"kafka.Kafka $dir/server.properties"* ]] || return 1
  echo "$pid"
}

# Sets JAVA_CMD: the JVM with the broker's class path and logging for DIR.
java_cmd() {
  local dir="$1"
  JAVA_CMD=(java -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j.configuration="file:$dir/log4j.properties" -Dkafka.logs.dir="$dir/logs"
    -cp "$LIBS/*")
}

# A CA and a broker certificate for 127.0.0.1 and localhost in DIR/tls, the
# broker's key and chain as a PKCS12 keystore with password PASSWORD.
make_tls() {
  local dir="$1" password="$2" tls="$1/tls"
  need openssl "install Debian's openssl package"
  rm -rf "$tls"
  mkdir -p "$tls"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sla-timer e2e CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.crt" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls/broker.key" -out "$tls/broker.csr" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$tls/broker.ext" &&
      openssl x509 -req -in "$tls/broker.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 2 -extfile "$tls/broker.ext" -out "$tls/broker.crt" &&
      openssl pkcs12 -export -name broker -in "$tls/broker.crt" -inkey "$tls/broker.key" \
        -certfile "$tls/ca.crt" -passout "pass:$password" -out "$tls/broker.p12"
  } >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; die "making the test CA and broker certificate failed"; }
}

# Random letters and digits (passwords handed to the broker and clients).
random_word() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

# --- subcommands ------------------------------------------------------------

start() {
  local dir="$1"
  need java "install a JDK 17+"
  need python3 "used to pick free ports"
  fetch
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if pid="$(live_pid "$dir")"; then die "a broker is already running from $dir (pid $pid)"; fi
  rm -rf "$dir/data" "$dir/logs"
  mkdir -p "$dir/data" "$dir/logs"

  local security="${SLA_KAFKA_SECURITY:-plaintext}"
  [[ "$security" == plaintext || "$security" == sasl_ssl ]] ||
    die "SLA_KAFKA_SECURITY=$security: expected plaintext or sasl_ssl"
  local ports port cport sport=""
  ports="$(free_ports 3)"
  read -r port cport sport <<<"$ports"
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
  local advertised="PLAINTEXT://127.0.0.1:$port"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ "$security" == sasl_ssl ]]; then
    listeners+=",SASL_SSL://127.0.0.1:$sport"
    advertised+=",SASL_SSL://127.0.0.1:$sport"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
background.threads=2
log.segment.bytes=16777216
log.retention.check.interval.ms=300000
EOF
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF

  local id scram=()
  id="$(cluster_id)"
  rm -f "$dir/client.env"
  if [[ "$security" == sasl_ssl ]]; then
    local store_pw user="${SLA_KAFKA_SCRAM_USER:-sla}" password="${SLA_KAFKA_SCRAM_PASSWORD:-$(random_word)}"
    store_pw="$(random_word)"
    make_tls "$dir" "$store_pw"
    cat >>"$dir/server.properties" <<EOF
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/tls/broker.p12
ssl.keystore.password=$store_pw
ssl.key.password=$store_pw
ssl.client.auth=none
EOF
    # KRaft keeps SCRAM credentials in the metadata log: the first user is
    # written when the storage is formatted.
    scram=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
    cat >"$dir/client.env" <<EOF
SLA_KAFKA_BROKERS=127.0.0.1:$sport
SLA_KAFKA_SECURITY_PROTOCOL=sasl_ssl
SLA_KAFKA_SASL_MECHANISM=SCRAM-SHA-512
SLA_KAFKA_SASL_USERNAME=$user
SLA_KAFKA_SASL_PASSWORD=$password
SLA_KAFKA_PROPERTY_SSL_CA_LOCATION=$dir/tls/ca.crt
EOF
  fi
  java_cmd "$dir"
  if ! "${JAVA_CMD[@]}" kafka.tools.StorageTool format --cluster-id="$id" -c "$dir/server.properties" \
        "${scram[@]}" >"$dir/logs/format.log" 2>&1; then
    cat "$dir/logs/format.log" >&2
    die "formatting $dir/data failed"
  fi

  echo "127.0.0.1:$port" >"$dir/bootstrap"
  launch "$dir" "$port"
  [[ "$security" != sasl_ssl ]] || wait_port "$dir" "$sport"
}

# Waits until the broker of DIR also serves on PORT (a second listener).
wait_port() {
  local dir="$1" port="$2" deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$port"; do
    ((SECONDS < deadline)) || die "the broker does not listen on 127.0.0.1:$port (logs in $dir/logs)"
    sleep 0.2
  done
}

client_env() {
  local dir="$1"
  [[ -f "$dir/client.env" ]] || die "no SASL_SSL broker started from $dir (SLA_KAFKA_SECURITY=sasl_ssl at start)"
  cat "$dir/client.env"
}

# Starts the formatted broker of DIR and waits until it serves on PORT.
launch() {
  local dir="$1" port="$2"
  java_cmd "$dir"
  nohup "${JAVA_CMD[@]}" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/logs/stdout.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/broker.pid"

  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$port" && grep -q "Kafka Server started" "$dir/logs/server.log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$dir/logs/stdout.log" "$dir/logs/server.log" >&2 2>/dev/null || true
      die "the broker exited during start-up (logs in $dir/logs)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$dir/logs/server.log" >&2 2>/dev/null || true
      stop "$dir" || true
      die "the broker was not up after ${START_TIMEOUT}s (logs in $dir/logs)"
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port"
}

# Stops the broker of DIR and starts it again on the same data and ports.
restart() {
  local dir="$1" bs
  dir="$(cd "$dir" && pwd)"
  bs="$(bootstrap "$dir")"
  stop "$dir"
  [[ -f "$dir/logs/server.log" ]] && mv "$dir/logs/server.log" "$dir/logs/server.log.$(date +%s)"
  launch "$dir" "${bs##*:}"
}

stop() {
  local dir="$1" pid
  [[ -d "$dir" ]] || return 0
  dir="$(cd "$dir" && pwd)"
  pid="$(live_pid "$dir")" || { rm -f "$dir/broker.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "broker $pid still running after ${STOP_TIMEOUT}s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # Reap it if it is our child; otherwise wait for /proc to drop it.
  wait "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$dir/broker.pid"
}

bootstrap() {
  local dir="$1"
  [[ -f "$dir/bootstrap" ]] || die "no broker started from $dir"
  cat "$dir/bootstrap"
}

create_topic() {
  local dir="$1" name="$2" parts="$3"
  shift 3
  fetch
  dir="$(cd "$dir" && pwd)"
  local bs
  bs="$(bootstrap "$dir")"
  java_cmd "$dir"
  "${JAVA_CMD[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
    --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 "$@" \
    >>"$dir/logs/admin.log" 2>&1 || { tail -n 20 "$dir/logs/admin.log" >&2; die "create-topic $name failed"; }
}

console_produce() {
  local dir="$1" topic="$2"
  shift 2
  dir="$(cd "$dir" && pwd)"
  java_cmd "$dir"
  "${JAVA_CMD[@]}" kafka.tools.ConsoleProducer --bootstrap-server "$(bootstrap "$dir")" --topic "$topic" \
    --property parse.key=true --property parse.headers=true --request-required-acks all "$@" \
    2>>"$dir/logs/admin.log" || { tail -n 20 "$dir/logs/admin.log" >&2; die "console-produce to $topic failed"; }
}

end_offsets() {
  local dir="$1" topic="$2"
  dir="$(cd "$dir" && pwd)"
  java_cmd "$dir"
  "${JAVA_CMD[@]}" org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$(bootstrap "$dir")" \
    --topic "$topic" --time -1 2>>"$dir/logs/admin.log" ||
    { tail -n 20 "$dir/logs/admin.log" >&2; die "end-offsets of $topic failed"; }
}

usage() { sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd="${1:-}"
case "$cmd" in
  fetch) fetch; echo "$LIBS" ;;
  start) [[ $# -eq 2 ]] || usage; start "$2" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  restart) [[ $# -eq 2 ]] || usage; restart "$2" ;;
  bootstrap) [[ $# -eq 2 ]] || usage; bootstrap "$2" ;;
  create-topic) [[ $# -ge 4 ]] || usage; shift; create_topic "$@" ;;
  console-produce) [[ $# -ge 3 ]] || usage; shift; console_produce "$@" ;;
  end-offsets) [[ $# -eq 3 ]] || usage; end_offsets "$2" "$3" ;;
  client-env) [[ $# -eq 2 ]] || usage; client_env "$2" ;;
  *) usage ;;
esac
