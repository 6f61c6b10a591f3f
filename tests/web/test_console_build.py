"""The console build of ``ledgerline dev run``: made when the sources changed (or there is no
build), skipped otherwise. A stand-in ``npm`` on PATH records its runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.web_console import ConsoleBuildError, build_console, build_is_current

FAKE_NPM = """#!/bin/sh
echo run >> "$(dirname "$0")/runs"
mkdir -p dist && echo '<!doctype html>' > dist/index.html
"""


@pytest.fixture
def web_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(FAKE_NPM)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "node_modules").mkdir()
    (web / "src" / "main.tsx").write_text("render()")
    (web / "package.json").write_text("{}")
    return web


def _builds(web_dir: Path) -> int:
    runs = web_dir.parent / "bin" / "runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def test_the_console_is_built_once_then_again_only_when_a_source_changes(web_dir: Path) -> None:
    assert not build_is_current(web_dir)
    assert build_console(web_dir) is True
    assert build_is_current(web_dir)
    assert build_console(web_dir) is False
    assert _builds(web_dir) == 1

    (web_dir / "src" / "main.tsx").write_text("render(<App />)")
    assert not build_is_current(web_dir)
    assert build_console(web_dir) is True
    assert _builds(web_dir) == 2


def test_a_deleted_build_is_made_again(web_dir: Path) -> None:
    build_console(web_dir)
    (web_dir / "dist" / "index.html").unlink()
    assert build_console(web_dir) is True


def test_missing_dependencies_are_named(web_dir: Path) -> None:
    (web_dir / "node_modules").rmdir()
    with pytest.raises(ConsoleBuildError, match="npm ci"):
        build_console(web_dir)
