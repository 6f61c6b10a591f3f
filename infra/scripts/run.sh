#!/usr/bin/env bash
# Installs everything, starts the local servers (PostgreSQL, Kafka, the MongoDB-protocol and the
# Elasticsearch-API servers) and the write API in the foreground. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/install.sh
.venv/bin/ledgerline dev up
trap '.venv/bin/ledgerline dev down' EXIT
.venv/bin/ledgerline db migrate
.venv/bin/ledgerline serve write
