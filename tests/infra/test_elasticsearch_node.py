"""What the Elasticsearch launcher does beyond the other servers: as root, the node runs as uid
65534, and its data stays where that uid can reach it even when the data root is not."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from elasticsearch import Elasticsearch

from infra.servers import ElasticsearchServer, free_ports
from infra.servers.elasticsearch import NODE_UID


@pytest.fixture
def root_behind_a_private_directory() -> Iterator[Path]:
    private = Path(tempfile.mkdtemp(prefix="ledgerline-private-"))  # mode 700
    try:
        yield private / "stack"
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_node_under_a_private_directory_runs_unprivileged_with_its_data_where_it_can_reach(
    root_behind_a_private_directory: Path,
) -> None:
    root = root_behind_a_private_directory
    node = ElasticsearchServer(root, *free_ports(2), quick_start=True)
    as_root = os.geteuid() == 0
    if as_root:  # uid 65534 cannot pass the private directory: the data moves to the cache
        assert node.data_dir.is_relative_to(node.cache_dir / "nodes")
    else:
        assert node.data_dir == root / "elasticsearch"
    try:
        node.start()
        pid = node.pid()
        assert pid is not None
        assert psutil.Process(pid).uids().real == (NODE_UID if as_root else os.geteuid())
        client = Elasticsearch(node.url)
        try:
            client.index(index="kept", id="1", document={"note": "hello"}, refresh=True)
            assert client.count(index="kept")["count"] == 1
        finally:
            client.close()
        assert any((node.data_dir / "data").iterdir())
    finally:
        node.stop()
        if as_root:
            shutil.rmtree(node.data_dir.parent, ignore_errors=True)
    assert node.pid() is None
