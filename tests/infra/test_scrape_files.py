"""A transient process offers itself to the local Prometheus through a discovery file that exists
exactly while it runs."""

from __future__ import annotations

import json
from pathlib import Path

from infra.servers.scrape_files import registered_target, targets_dir


def test_a_registered_target_is_a_discovery_file_while_the_block_runs(tmp_path: Path) -> None:
    with registered_target(tmp_path, "rebuild", "rebuild-all", "127.0.0.1:9200") as path:
        assert path.parent == targets_dir(tmp_path)
        assert json.loads(path.read_text()) == [
            {
                "targets": ["127.0.0.1:9200"],
                "labels": {"job": "rebuild", "process": "rebuild-all"},
            }
        ]
        assert [p.suffix for p in path.parent.iterdir()] == [".json"]  # no partial file left
    assert not path.exists()
