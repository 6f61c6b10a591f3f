#!/usr/bin/env bash
# Installs everything and runs the checks CI runs: lint, format, types, then the test suite
# (which starts its own PostgreSQL, Kafka, MongoDB-protocol server and Elasticsearch node).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/install.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy domain commands event_store projections write_api read_api infra
.venv/bin/pytest -q "$@"
