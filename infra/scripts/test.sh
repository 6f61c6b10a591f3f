#!/usr/bin/env bash
# Installs everything and runs the checks CI runs: lint, format, types, the web console's lint,
# types and unit tests, then the test suite (which starts its own PostgreSQL, Kafka,
# MongoDB-protocol server and Elasticsearch node, and runs the console in Chromium end to end).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/install.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy domain commands event_store projections write_api read_api infra
(cd web && npm run --silent lint && npm run --silent typecheck && npm run --silent test)
# The slowest tests are listed at the end: the suite must stay within CI's 25 minutes.
.venv/bin/pytest -q --durations=25 "$@"
