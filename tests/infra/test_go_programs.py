"""The Go-program builder: a build lands in its cache directory whole or not at all, a second
call builds nothing, and a build that cannot happen is one line naming the program."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.go_build import build_go_program
from infra.servers.go_programs import (
    HELM,
    JAEGER,
    KUBECONFORM,
    MAILPIT,
    PROMETHEUS,
    GoBuildError,
    GoProgram,
    ensure_program,
)


@pytest.fixture
def cache_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ledgerline-go-cache-") as directory:
        yield Path(directory)


def test_a_program_is_built_once_into_a_directory_named_by_its_name_and_digest(
    cache_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "go.mod").write_text("module example.invalid/hello\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text('package main\n\nfunc main() { println("hello") }\n')

    binary = build_go_program(tmp_path, "hello", cache_dir)
    built_at = binary.stat().st_mtime_ns

    assert binary.parent.parent == cache_dir and binary.parent.name.startswith("go-hello-")
    assert build_go_program(tmp_path, "hello", cache_dir) == binary
    assert binary.stat().st_mtime_ns == built_at
    assert [path.name for path in cache_dir.iterdir()] == [binary.parent.name]  # no leftovers


def test_a_failed_build_is_one_line_and_leaves_no_directory(
    cache_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "go.mod").write_text("module example.invalid/broken\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")

    with pytest.raises(GoBuildError) as failure:
        build_go_program(tmp_path, "broken", cache_dir)

    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("building broken with Go failed: ")
    assert "undefined" in message
    assert list(cache_dir.iterdir()) == []


def test_a_module_that_does_not_resolve_is_reported_with_the_log_it_wrote(
    cache_dir: Path, tmp_path: Path
) -> None:
    missing = GoProgram(
        name="nothing",
        module="ledgerline.invalid/nothing",
        module_version="v0.0.1",
        version="0",
        title="Nothing",
    )
    log_path = tmp_path / "build.log"

    with pytest.raises(GoBuildError) as failure:
        ensure_program(missing, cache_dir, log_path=log_path)

    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("building Nothing 0 with Go failed: ")
    assert "ledgerline.invalid/nothing" in log_path.read_text()
    assert list(cache_dir.iterdir()) == []


def test_every_program_is_built_into_its_cache_directory_named_by_version() -> None:
    # install.sh (`ledgerline dev fetch`) built them; this must not build again.
    for program in (MAILPIT, JAEGER, PROMETHEUS, HELM, KUBECONFORM):
        install_dir = ensure_program(program)
        assert install_dir.name == f"{program.name}-{program.version}"
        for package in program.packages:
            assert program.binary(package=package).is_file()
    assert PROMETHEUS.binary(package="cmd/promtool").name == "promtool"
    assert JAEGER.binary().name == "jaeger"
    assert MAILPIT.binary().name == "mailpit"
    assert HELM.binary().name == "helm"
    assert KUBECONFORM.binary().name == "kubeconform"
