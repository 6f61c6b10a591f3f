"""Scrape targets that come and go, such as an operator's ``ledgerline projections rebuild
--metrics-port N``: each registers itself with the local Prometheus by writing a file-based
discovery file (``ROOT/prometheus/targets/<name>.json``) for as long as it runs, and removes it
when it ends. Prometheus's configuration (``infra.servers.prometheus_config``) reads every file
in that directory, so no reload is needed; a process killed outright leaves its file behind,
and its target then shows as down until the file is deleted (``dev down`` leaves it alone).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def targets_dir(data_dir: Path) -> Path:
    """Where Prometheus looks for discovery files under the stack's data directory."""
    return data_dir.absolute() / "prometheus" / "targets"


@contextmanager
def registered_target(data_dir: Path, job: str, process: str, address: str) -> Iterator[Path]:
    """Prometheus scrapes ``address`` (``host:port``) as ``job`` while this block runs."""
    directory = targets_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{process}-{os.getpid()}.json"
    entry = [{"targets": [address], "labels": {"job": job, "process": process}}]
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(entry) + "\n")
    partial.replace(path)  # Prometheus must never read half a file
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
