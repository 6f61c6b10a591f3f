"""The web console (``web/``, React + TypeScript): where its sources and production build are,
and the build itself, ``npm run build``, skipped when the sources are unchanged since the last
build.

Whether they changed is a SHA-256 digest of the files the build reads (sources, configuration,
lock file), kept in ``web/node_modules/.cache/`` where build tools keep theirs: a fresh
``npm ci`` empties it, which also asks for a rebuild. A missing ``dist/index.html`` does too.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# What the build reads; anything else under web/ (tests, e2e, scripts) cannot change dist/.
_BUILD_INPUTS = (
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "public",
    "src",
)


class ConsoleBuildError(RuntimeError):
    """npm is missing, the dependencies are not installed, or the build failed."""


def build_dir(web_dir: Path = WEB_DIR) -> Path:
    """Where the production build goes (what the gateway serves)."""
    return web_dir / "dist"


def source_digest(web_dir: Path = WEB_DIR) -> str:
    """SHA-256 over the path and content of every file the build reads."""
    digest = hashlib.sha256()
    for name in _BUILD_INPUTS:
        top = web_dir / name
        files = sorted(p for p in top.rglob("*") if p.is_file()) if top.is_dir() else [top]
        for path in files:
            if path.is_file():
                digest.update(path.relative_to(web_dir).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _digest_path(web_dir: Path) -> Path:
    return web_dir / "node_modules" / ".cache" / "ledgerline" / "build.digest"


def build_is_current(web_dir: Path = WEB_DIR) -> bool:
    """Whether ``dist/`` was built from the sources as they are now."""
    stamp = _digest_path(web_dir)
    return (
        (build_dir(web_dir) / "index.html").is_file()
        and stamp.is_file()
        and stamp.read_text().strip() == source_digest(web_dir)
    )


def build_console(web_dir: Path = WEB_DIR) -> bool:
    """Build the console unless the build is current; True when it built. Raises
    ConsoleBuildError (with npm's last lines of output) when it cannot."""
    if build_is_current(web_dir):
        return False
    npm = shutil.which("npm")
    if npm is None:
        raise ConsoleBuildError("npm is not installed (Node 20 or newer is needed)")
    if not (web_dir / "node_modules").is_dir():
        raise ConsoleBuildError(
            f"the console's dependencies are not installed: run `npm ci` in {web_dir} "
            "(infra/scripts/install.sh does)"
        )
    digest = source_digest(web_dir)  # of the sources the build is about to read
    result = subprocess.run(
        [npm, "run", "--silent", "build"],
        cwd=web_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-20:])
        raise ConsoleBuildError(f"npm run build failed in {web_dir}:\n{tail}")
    stamp = _digest_path(web_dir)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return True
