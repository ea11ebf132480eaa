#!/usr/bin/env bash
# Installs the Debian packages the test suite starts for real (etcd, Redis, Prometheus/promtool, Alertmanager,
# VictoriaMetrics for benchmarks), Chromium for the web UI's browser test, and protoc for the generated-code drift check. Skips what is there.
set -euo pipefail
need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v redis-server >/dev/null || need+=(redis-server)
command -v promtool >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v protoc >/dev/null || need+=(protobuf-compiler)
[ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${need[*]} (run as root or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# The Debian packages start their services; tests run their own instances on free ports.
for svc in etcd redis-server prometheus prometheus-alertmanager victoria-metrics; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
