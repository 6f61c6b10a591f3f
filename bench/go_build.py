"""Builds a benchmark's Go program (a directory with its own go.mod, standard library only) on
first use, into the cache Ledgerline's server artefacts use (``~/.cache/ledgerline``, where
infra/servers/go_programs.py builds Mailpit, Jaeger and Prometheus): ``go-<name>-<digest>/<name>``,
the digest that of the directory's Go sources, so an edited program is rebuilt and an unchanged
one reused. The build itself (atomic install directory, Go lookup, one-line errors) is
go_programs'.

The program runs as the user who built it, so the cache needs none of the shared-directory care
infra/servers/elasticsearch.py takes for a node that runs as another user.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from infra.servers.go_programs import GoBuildError, build_atomically, run_go
from infra.servers.kafka import default_cache_dir

BUILD_TIMEOUT_S = 300.0

__all__ = ["GoBuildError", "build_go_program", "source_digest"]


def source_digest(source_dir: Path) -> str:
    """A digest of go.mod, go.sum and every .go file, by path relative to ``source_dir``."""
    digest = hashlib.sha256()
    for path in sorted(source_dir.rglob("*")):
        if path.is_file() and (path.suffix == ".go" or path.name in ("go.mod", "go.sum")):
            digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_go_program(source_dir: Path, name: str, cache_dir: Path | None = None) -> Path:
    """The binary built from ``source_dir``, building it unless the cache has it already."""
    install_dir = (cache_dir or default_cache_dir()) / f"go-{name}-{source_digest(source_dir)}"
    binary = install_dir / name
    if binary.is_file():
        return binary

    def build(partial: Path) -> None:
        run_go(
            ["build", "-trimpath", "-o", str(partial / name), "."],
            what=name,
            cwd=source_dir,
            timeout_s=BUILD_TIMEOUT_S,
        )

    build_atomically(install_dir, build)
    return binary
