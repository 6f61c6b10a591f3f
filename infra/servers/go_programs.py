"""Go programs built from source on this machine, once per version, into Ledgerline's cache.

No registry we can reach ships Mailpit, Jaeger, Prometheus, promtool, Helm or kubeconform as
binaries, but the Go module proxy ships their source, so they are built with the machine's Go into
``<cache>/<name>-<version>/`` (``~/.cache/ledgerline``, beside the Kafka jars): a directory that
exists is complete, because the build goes into a temporary sibling that is renamed into place
when it succeeds; two processes building at once both finish and the second keeps the first's.
``ledgerline dev fetch`` (run by ``infra/scripts/install.sh``) builds every program a fresh
machine needs, so neither the first ``dev run`` nor the first test session does; a later call
finds the directory and runs nothing.

Each build is ``go install <module>/<package>@<version>`` with ``CGO_ENABLED=0`` (static
binaries, no C compiler needed: all these programs are pure Go) and ``-trimpath``. Go refuses
``go install pkg@version`` for a module whose ``go.mod`` has ``replace`` directives (Jaeger's
does), so such a program is built inside a throwaway wrapper module instead (``go mod init``,
``go get <package>@<version>``, ``go build``): the same sources and the same dependency
versions, minus the replacement, which only ever applies to the module's own builds.

First builds measured here (2 cores shared with other work, Go's module and build caches cold
for these modules): see each program's entry below. When Go's caches are warm (another clone or
cache directory built the same version) a build takes seconds; once the directory is there, 0 s.

bench/go_build.py builds the benchmarks' own small Go programs through ``build_atomically`` and
``run_go`` too, keyed by a digest of their source rather than a version.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from infra.servers.kafka import default_cache_dir

log = structlog.get_logger()

# Where the official Go tarball installs itself; not always on a non-login shell's PATH.
_GO_FALLBACK = Path("/usr/local/go/bin/go")
BUILD_TIMEOUT_S = 3600.0  # Jaeger and Prometheus compile for many minutes on two busy cores


class GoBuildError(RuntimeError):
    """Go is missing or a build failed; ``str(e)`` is one line."""


def go_command() -> str | None:
    """The ``go`` tool: on PATH, or where the official tarball puts it."""
    found = shutil.which("go")
    if found is not None:
        return found
    return str(_GO_FALLBACK) if _GO_FALLBACK.is_file() else None


@dataclass(frozen=True)
class GoProgram:
    """Binaries built from the packages of one module version. ``name`` and ``version`` name
    the cache directory (``version`` is the program's own release number, which for
    Prometheus differs from its Go module version); ``ldflags`` stamp that version in."""

    name: str
    module: str
    module_version: str  # as the module proxy knows it, with its "v"
    version: str
    title: str  # how messages name it
    packages: tuple[str, ...] = ("",)  # inside the module; "" is the module's root package
    ldflags: str = ""
    wrapper_module: bool = False  # the module's go.mod has replace directives (see above)

    def install_dir(self, cache_dir: Path | None = None) -> Path:
        return (cache_dir or default_cache_dir()) / f"{self.name}-{self.version}"

    def binary(self, cache_dir: Path | None = None, package: str | None = None) -> Path:
        """The binary of ``package`` (default: the first), named as ``go install`` names it."""
        path = self.packages[0] if package is None else package
        return self.install_dir(cache_dir) / (path.rsplit("/", 1)[-1] or self._module_base)

    @property
    def _module_base(self) -> str:
        return self.module.rsplit("/", 1)[-1]

    def package_paths(self) -> list[str]:
        return [f"{self.module}/{p}" if p else self.module for p in self.packages]


MAILPIT = GoProgram(
    # 2 min 15 s to 2 min 30 s (mostly downloading modules and compiling its SQLite); ~24 MB.
    name="mailpit",
    module="github.com/axllent/mailpit",
    module_version="v1.33.1",
    version="1.33.1",
    title="Mailpit",
    # Release builds stamp the version this way; without it Mailpit calls itself "dev".
    ldflags="-X github.com/axllent/mailpit/config.Version=v1.33.1",
)
JAEGER = GoProgram(
    # 5 min 7 s (43 s of it downloading modules; 5 min on a busy machine, load 5-6); 85 MB.
    name="jaeger",
    module="github.com/jaegertracing/jaeger",
    module_version="v1.76.0",
    version="1.76.0",
    title="Jaeger",
    packages=("cmd/jaeger",),
    ldflags="-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v1.76.0",
    wrapper_module=True,  # its go.mod replaces github.com/Shopify/sarama
)
PROMETHEUS = GoProgram(
    # 6 min 12 s for both binaries (modules downloaded and compiled in one go install; load
    # 5-6 on the 2 cores); prometheus 105 MB, promtool 88 MB.
    # Built without the "builtinassets" tag: the web UI's compiled assets are not in the Go
    # module (they come from an npm build in a release), so the UI pages answer with an error
    # while the HTTP API (/api/v1/...), which is all Ledgerline and its tests use, works.
    name="prometheus",
    module="github.com/prometheus/prometheus",
    module_version="v0.316.0",  # Prometheus 3.16.0 (its Go module is numbered v0.3xx.y)
    version="3.16.0",
    title="Prometheus",
    packages=("cmd/prometheus", "cmd/promtool"),
    ldflags="-X github.com/prometheus/common/version.Version=3.16.0",
)
HELM = GoProgram(
    # Renders and lints the Kubernetes chart (infra/helm/ledgerline; tests/test_helm_chart.py).
    # 3 min 46 s with Go's caches cold (at nice 19, load 6-23 on the 2 cores); 1 min with the
    # modules already downloaded; ~62 MB.
    # Stamped as a release build is: its version, and the Kubernetes version its client
    # libraries (k8s.io/client-go v0.37) speak, which `helm template` reports as the cluster's.
    name="helm",
    module="helm.sh/helm/v3",
    module_version="v3.22.0",
    version="3.22.0",
    title="Helm",
    packages=("cmd/helm",),
    ldflags=" ".join(
        f"-X helm.sh/helm/v3/{variable}"
        for variable in (
            "internal/version.version=v3.22.0",
            "pkg/lint/rules.k8sVersionMajor=1",
            "pkg/lint/rules.k8sVersionMinor=37",
            "pkg/chartutil.k8sVersionMajor=1",
            "pkg/chartutil.k8sVersionMinor=37",
        )
    ),
)
KUBECONFORM = GoProgram(
    # Validates the chart's rendered manifests against the Kubernetes and KEDA schemas
    # (infra/servers/kubernetes_schemas.py generates those). 2 min 25 s with Go's caches cold
    # (same conditions as Helm's); ~10 MB.
    name="kubeconform",
    module="github.com/yannh/kubeconform",
    module_version="v0.8.0",
    version="0.8.0",
    title="kubeconform",
    packages=("cmd/kubeconform",),
    ldflags="-X main.version=v0.8.0",
)


def ensure_program(
    program: GoProgram, cache_dir: Path | None = None, *, log_path: Path | None = None
) -> Path:
    """The program's install directory, building it first unless it is there (see the module
    docstring); Go's output goes to ``log_path`` (or is kept for the error message)."""
    install_dir = program.install_dir(cache_dir)
    if all(program.binary(cache_dir, p).is_file() for p in program.packages):
        return install_dir
    log.info("go_program_building", program=program.name, version=program.version)
    flags = ["-trimpath", f"-ldflags=-s -w {program.ldflags}".strip()]

    def build(partial: Path) -> None:
        what = f"{program.title} {program.version}"
        if not program.wrapper_module:
            targets = [f"{path}@{program.module_version}" for path in program.package_paths()]
            run_go(
                ["install", *flags, *targets],
                what=what,
                env={"GOBIN": str(partial)},
                log_path=log_path,
            )
            return
        with tempfile.TemporaryDirectory(prefix=f"ledgerline-build-{program.name}-") as work:
            wrapper = Path(work)
            run_go(
                ["mod", "init", f"ledgerline.invalid/build/{program.name}"],
                what=what,
                cwd=wrapper,
                log_path=log_path,
            )
            for path in program.package_paths():
                run_go(
                    ["get", f"{path}@{program.module_version}"],
                    what=what,
                    cwd=wrapper,
                    log_path=log_path,
                )
            for path, package in zip(program.package_paths(), program.packages, strict=True):
                output = partial / program.binary(cache_dir, package).name
                run_go(
                    ["build", *flags, "-o", str(output), path],
                    what=what,
                    cwd=wrapper,
                    log_path=log_path,
                )

    return build_atomically(install_dir, build)


def build_atomically(install_dir: Path, build: Callable[[Path], None]) -> Path:
    """Run ``build`` into a temporary sibling of ``install_dir`` and rename it into place, so
    that an install directory that exists is complete; returns ``install_dir``."""
    partial = install_dir.with_name(f"{install_dir.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        build(partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        partial.rename(install_dir)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
        if not install_dir.is_dir():
            raise
        # Another process finished the same build first; theirs is as good as ours.
    return install_dir


def run_go(
    args: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    timeout_s: float = BUILD_TIMEOUT_S,
) -> None:
    """``go ARGS`` with ``CGO_ENABLED=0``; GoBuildError (one line naming ``what``) if Go is
    missing or the command fails. Output goes to ``log_path`` when given."""
    go = go_command()
    if go is None:
        raise GoBuildError(
            f"building {what} needs Go (1.26), which is neither on PATH nor in /usr/local/go"
        )
    argv = [go, *args]
    full_env = {**os.environ, "CGO_ENABLED": "0", **(env or {})}
    completed: subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]
    try:
        if log_path is None:
            completed = subprocess.run(
                argv,
                cwd=cwd,
                env=full_env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
            output = str(completed.stdout) + str(completed.stderr)
        else:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            offset = log_path.stat().st_size if log_path.exists() else 0
            with log_path.open("a") as log_file:
                log_file.write(f"[ledgerline] $ {' '.join(argv)}\n")
                log_file.flush()
                completed = subprocess.run(
                    argv,
                    cwd=cwd,
                    env=full_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    timeout=timeout_s,
                    check=False,
                )
            output = _read_from(log_path, offset)
    except subprocess.TimeoutExpired:
        raise GoBuildError(f"building {what} with Go timed out after {timeout_s:.0f}s") from None
    if completed.returncode != 0:
        # The whole output is in log_path when there is one (the caller names it).
        raise GoBuildError(f"building {what} with Go failed: {_reason(output)}")


def _read_from(path: Path, offset: int) -> str:
    with path.open("rb") as file:
        file.seek(offset)
        return file.read().decode(errors="replace")


def _reason(output: str) -> str:
    """The line of Go's output that says why: the first error-looking one, else the last."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("go: downloading", "[ledgerline]"))]
    telling = [line for line in lines if "error" in line.lower() or line.startswith("go: ")]
    chosen = (telling or lines[-1:] or ["no output"])[0]
    return chosen if len(chosen) <= 300 else chosen[:297] + "..."
