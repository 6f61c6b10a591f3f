"""`ledgerline dev run` supervises the WAL streamer (``ledgerline backup stream``) beside the
other processes; systems built for tests and benchmarks only get it when they ask. (The drill,
test_dr_restore_drill.py, runs it under a supervisor and waits for its /health/ready.)"""

from __future__ import annotations

from pathlib import Path

from infra.settings import Settings
from infra.supervisor import Supervisor, process_specs


def test_the_wal_archiver_is_a_supervised_process_only_when_asked_for() -> None:
    settings = Settings(data_dir=Path("/tmp/elsewhere"), wal_archiver_metrics_port=9999)
    archiver = next(s for s in process_specs(settings, archive=True) if s.name == "wal-archiver")
    assert archiver.args == ("backup", "stream") and archiver.health_port == 9999
    assert "wal-archiver" not in {spec.name for spec in process_specs(settings)}
    supervisor = Supervisor(settings, archive=True, prometheus=True)
    assert "wal-archiver" in {target.process for target in supervisor.scrape_targets()}
