# syntax=docker/dockerfile:1
# sla-timer image: sla-timerd (the entrypoint), slactl and sla-notify (when
# built), the seed policies, /etc/sla-timer/sla-timerd.yaml. Debian bookworm,
# two stages; the build stage runs the same steps CI runs (deploy/local/
# setup.sh, cmake, `cmake --install` into a staging tree, which the
# deploy.install test checks on every CI run).
#
#   docker build -t sla-timer:0.1.0 .
#   docker run --rm -p 8080:8080 sla-timer:0.1.0 --embedded --demo
#   docker run --rm -e SLA_KAFKA_BROKERS=kafka:9092 -e SLA_REDIS_HOST=redis sla-timer:0.1.0
#   docker run --rm --entrypoint slactl sla-timer:0.1.0 validate /usr/share/sla-timer/policies/sample.yaml
#
# docs/deploy.md has the settings and where things are.

# --- build ------------------------------------------------------------------
FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# The Debian packages first, in a layer of their own (cached while only the
# sources change). SLA_SETUP_DEPLOY_TOOLS=0: no helm or kubernetes-validate,
# which only the deployment tests use.
COPY deploy/local/setup.sh deploy/local/setup.sh
RUN SLA_SETUP_DEPLOY_TOOLS=0 bash deploy/local/setup.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake --preset release -DSLA_BUILD_TESTS=OFF -DSLA_BUILD_BENCH=OFF \
 && cmake --build --preset release \
 && DESTDIR=/staging cmake --install build/release --prefix /usr --strip \
 && bash deploy/packaging/runtime-deps.sh /staging/usr/bin/* > /staging/runtime-packages.txt \
 && cat /staging/runtime-packages.txt

# --- runtime ----------------------------------------------------------------
FROM debian:bookworm-slim
ARG UID=10001
ENV DEBIAN_FRONTEND=noninteractive
# Only what the binaries load (the list the build stage wrote), time zones
# for the business calendars, CA certificates for TLS to Kafka and webhooks.
COPY --from=build /staging/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs apt-get install -y --no-install-recommends tzdata ca-certificates < /tmp/runtime-packages.txt \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid "$UID" sla \
 && useradd --system --uid "$UID" --gid sla --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin sla
COPY --from=build /staging/usr/ /usr/
COPY --from=build /staging/etc/sla-timer/ /etc/sla-timer/
# /etc/sla-timer/sla-timerd.yaml names /etc/sla-timer/policy.yaml (a copy of
# the sample policy): mount your own over either. In a container the HTTP
# endpoints must listen on every interface for probes and scrapes; Kafka
# and Redis addresses come from SLA_KAFKA_BROKERS / SLA_REDIS_HOST or a
# mounted settings file. No file is written at run time: the root
# filesystem can be read-only.
ENV SLA_HTTP_ADDRESS=0.0.0.0
USER ${UID}:${UID}
WORKDIR /
EXPOSE 8080
# /healthz over bash's /dev/tcp (no curl in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SLA_HTTP_PORT:-8080} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/sla-timerd"]
CMD ["--config", "/etc/sla-timer/sla-timerd.yaml"]
