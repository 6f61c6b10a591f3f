"""Builds a benchmark's Go program (a directory with its own go.mod, standard library only) on
first use, into the cache Ledgerline's server artefacts use (``~/.cache/ledgerline``, as
infra/servers/mailpit.py builds Mailpit there): ``go-<name>-<digest>/<name>``, the digest that
of the directory's Go sources, so an edited program is rebuilt and an unchanged one reused.

The program runs as the user who built it, so the cache needs none of the shared-directory care
infra/servers/elasticsearch.py takes for a node that runs as another user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from infra.servers.kafka import default_cache_dir
from infra.servers.mailpit import go_command

BUILD_TIMEOUT_S = 300.0


class GoBuildError(RuntimeError):
    """Go is missing or the build failed; the message is one line."""


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
    go = go_command()
    if go is None:
        raise GoBuildError(f"{name} needs Go to build it (go is not on PATH nor in /usr/local/go)")
    # Build beside the final place and rename: an install dir that exists is complete.
    partial = install_dir.with_name(f"{install_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    completed = subprocess.run(
        [go, "build", "-trimpath", "-o", str(partial / name), "."],
        cwd=source_dir,
        env={**os.environ, "CGO_ENABLED": "0"},  # a static binary, no C compiler needed
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        lines = completed.stderr.strip().splitlines() or ["no output"]
        raise GoBuildError(f"building {name} with Go failed: {' / '.join(lines[:3])}")
    try:
        partial.rename(install_dir)
    except OSError:
        if not binary.is_file():
            raise
        # Another process finished the same build first; theirs is as good as ours.
        shutil.rmtree(partial, ignore_errors=True)
    return binary
