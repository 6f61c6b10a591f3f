#!/usr/bin/env bash
# Installs what Ledgerline needs on a fresh machine: a Python 3.11 virtualenv with the project and
# its dev tools, (if missing) a Java runtime and Maven, and from Maven Central the Kafka jars and
# the Elasticsearch node (cached outside the clone; ~200 MB and ~20 s the first time); it builds
# Mailpit, Jaeger, Prometheus and promtool from the Go module proxy (needs Go 1.26; about 2.5, 5
# and 6 min the first time on two cores), and Helm and kubeconform with the Kubernetes and KEDA
# schemas they check the chart against (infra/servers/kubernetes_schemas.py; a few minutes), and
# unpacks the NGINX Prometheus exporter from Debian's package (`ledgerline dev fetch` does all
# of that); NGINX (the gateway), Redis, wrk (the HTTP
# benchmarks' load generator) and Chromium (the web console's browser tests) come from Debian's
# packages; the web console's npm packages from the lock file (needs Node 20 and npm; npm's cache
# beside the other downloads). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    echo "installing Java and Maven (needed to run Apache Kafka and Elasticsearch locally)"
    apt-get update -qq && apt-get install -y -qq default-jre-headless maven >/dev/null
fi

missing=()
for tool in nginx:nginx redis-server:redis-server wrk:wrk chromium:chromium; do
    command -v "${tool%%:*}" >/dev/null || [ -x "/usr/sbin/${tool%%:*}" ] || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} (the gateway, Redis, the HTTP load generator, the browser)"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.ledgerline-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    touch "$stamp"
fi
.venv/bin/ledgerline dev fetch

if ! command -v npm >/dev/null; then
    echo "error: Node 20 (with npm) is needed for the web console (web/)" >&2
    exit 1
fi
npm_stamp=web/node_modules/.ledgerline-installed
if [ ! -f "$npm_stamp" ] || [ web/package-lock.json -nt "$npm_stamp" ]; then
    (cd web && npm ci --cache "${XDG_CACHE_HOME:-$HOME/.cache}/ledgerline/npm" --no-audit --no-fund)
    touch "$npm_stamp"
fi
