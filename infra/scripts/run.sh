#!/usr/bin/env bash
# Installs everything, then starts the local servers (PostgreSQL, Kafka, the MongoDB-protocol
# server, Elasticsearch, Mailpit, Redis and Jaeger) and every Ledgerline process: instances of
# the write API and the query API, relay, both projectors and the notifier, with the gateway
# (NGINX, HTTPS on 8443) in front, its metrics exporter, and Prometheus scraping all of them.
# Ctrl-C (or `ledgerline dev down` from another shell) stops all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/install.sh
exec .venv/bin/ledgerline dev run
