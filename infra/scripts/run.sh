#!/usr/bin/env bash
# Installs everything, then starts the local servers (PostgreSQL, Kafka, the MongoDB-protocol
# server and Elasticsearch) and every Ledgerline process: write API, query API, relay and both
# projectors. Ctrl-C (or `ledgerline dev down` from another shell) stops all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/install.sh
exec .venv/bin/ledgerline dev run
