"""JSON schemas of the Kubernetes and KEDA resources, for ``kubeconform`` to check the Helm
chart's rendered manifests against, offline.

kubeconform normally downloads them (from a repository of generated schemas that no registry
we reach serves), so they are generated here from what the Go module proxy does serve, once per
version, into ``<cache>/kubernetes-schemas-<k8s>-keda-<keda>/`` (beside the Go programs, built
whole or not at all by ``build_atomically``; ``ledgerline dev fetch`` does it on install):

- Kubernetes: the OpenAPI v2 document the API server publishes, as the Kubernetes source tree
  keeps it (``api/openapi-spec/swagger.json`` of the Go module ``k8s.io/kubernetes``: 22 MB
  download, read from its zip). Every definition with an ``x-kubernetes-group-version-kind``
  becomes one standalone schema: the definition, plus the definitions it refers to, under
  ``definitions`` (the document's own ``#/definitions/…`` references then resolve inside the
  file, recursive ones too).
- KEDA: the ``openAPIV3Schema`` of each version of the CRDs in ``config/crd/bases`` of the Go
  module ``github.com/kedacore/keda/v2`` (3 MB), as kubeconform's ``openapi2jsonschema.py``
  converts them.

Both are made strict the way kubeconform's own schemas are: every object that lists its
properties refuses others (``additionalProperties: false``, what kubectl's validation does),
``int-or-string`` fields take either, and a quantity (``cpu: 1`` or ``"500m"``) a number or a
string. Files are named as kubeconform's schema-location template ``SCHEMA_LOCATION`` expects:
``<kind>-<group's first label>-<version>.json`` (``deployment-apps-v1.json``,
``service-v1.json``, ``scaledobject-keda-v1alpha1.json``).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from infra.servers.go_programs import (
    HELM,
    KUBECONFORM,
    GoBuildError,
    build_atomically,
    ensure_program,
    go_command,
)
from infra.servers.kafka import default_cache_dir

KUBERNETES_MODULE = "k8s.io/kubernetes"
KUBERNETES_VERSION = "v1.37.2"  # the version Helm 3.22's client libraries (v0.37) speak
KEDA_MODULE = "github.com/kedacore/keda/v2"
KEDA_VERSION = "v2.21.0"
_SWAGGER = "api/openapi-spec/swagger.json"
_KEDA_CRDS = "config/crd/bases/"
# kubeconform's -schema-location for these files ("{{ … }}" are its template's fields).
SCHEMA_LOCATION = "{{ .ResourceKind }}{{ .KindSuffix }}.json"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"

Schema = dict[str, Any]


def schemas_dir(cache_dir: Path | None = None) -> Path:
    name = f"kubernetes-schemas-{KUBERNETES_VERSION[1:]}-keda-{KEDA_VERSION[1:]}"
    return (cache_dir or default_cache_dir()) / name


def ensure_schemas(cache_dir: Path | None = None) -> Path:
    """The schema directory, generating it first unless it is there (see the module docstring)."""
    directory = schemas_dir(cache_dir)
    if directory.is_dir():
        return directory

    def build(partial: Path) -> None:
        swagger = json.loads(_read_from_module(KUBERNETES_MODULE, KUBERNETES_VERSION, _SWAGGER))
        schemas = kubernetes_schemas(swagger)
        for _file, crd in _module_files(KEDA_MODULE, KEDA_VERSION, _KEDA_CRDS, ".yaml"):
            for file_name, schema in crd_schemas(yaml.safe_load(crd)).items():
                schemas.setdefault(file_name, schema)
        for file_name, schema in schemas.items():
            (partial / file_name).write_text(json.dumps(schema, separators=(",", ":")))

    return build_atomically(directory, build)


def ensure_chart_tools(
    cache_dir: Path | None = None, *, log_path: Path | None = None
) -> dict[str, Path]:
    """Helm, kubeconform and the schemas (built or generated unless there): name → path.
    GoBuildError (one line) when one cannot be had; Go's output goes to ``log_path``."""
    helm = ensure_program(HELM, cache_dir, log_path=log_path)
    kubeconform = ensure_program(KUBECONFORM, cache_dir, log_path=log_path)
    return {
        "helm": helm / HELM.binary(cache_dir).name,
        "kubeconform": kubeconform / KUBECONFORM.binary(cache_dir).name,
        "kubernetes-schemas": ensure_schemas(cache_dir),
    }


def schema_file_name(kind: str, api_version: str) -> str:
    """The file kubeconform looks for (its registry's ``KindSuffix``: the group's first label
    and the version)."""
    group, _, version = api_version.rpartition("/")
    suffix = f"-{group.split('.')[0]}-{version}" if group else f"-{version}"
    return f"{kind}{suffix}".lower() + ".json"


def kubernetes_schemas(swagger: Schema) -> dict[str, Schema]:
    """File name → standalone strict schema, for every kind the OpenAPI document defines."""
    definitions = {name: _strict(definition) for name, definition in swagger["definitions"].items()}
    if _QUANTITY in definitions:
        definitions[_QUANTITY] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    schemas: dict[str, Schema] = {}
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version = gvk["group"], gvk["version"]
            api_version = f"{group}/{version}" if group else version
            file_name = schema_file_name(gvk["kind"], api_version)
            if file_name not in schemas:
                referred = _referred(name, definitions)
                schemas[file_name] = {
                    **definition,
                    "definitions": {other: definitions[other] for other in sorted(referred)},
                }
    return schemas


def crd_schemas(crd: Schema) -> dict[str, Schema]:
    """File name → strict schema, for every version of a CustomResourceDefinition."""
    spec = crd["spec"]
    found = {}
    for version in spec["versions"]:
        schema = version.get("schema", {}).get("openAPIV3Schema")
        if schema is not None:
            api_version = f"{spec['group']}/{version['name']}"
            found[schema_file_name(spec["names"]["kind"], api_version)] = _strict(schema)
    return found


def _strict(node: Any) -> Any:
    """A copy with descriptions dropped, closed objects and int-or-string as either."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "int-or-string":
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    copy: Schema = {}
    for key, value in node.items():
        if key == "description":
            continue
        if key == "properties" and isinstance(value, dict):  # names, not schema keywords
            copy[key] = {name: _strict(schema) for name, schema in value.items()}
            copy.setdefault("additionalProperties", False)
        else:
            copy[key] = _strict(value)
    return copy


def _referred(name: str, definitions: dict[str, Schema]) -> set[str]:
    """The definitions ``name`` refers to, directly or through others (itself included)."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        pending.extend(_references(definitions[current]))
    return seen


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/definitions/"):
            yield reference.removeprefix("#/definitions/")
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def _module_zip(module: str, version: str) -> Path:
    """The module's zip in Go's module cache, downloaded through the module proxy if need be."""
    go = go_command()
    if go is None:
        raise GoBuildError(f"fetching {module} needs Go, which is neither on PATH nor installed")
    with tempfile.TemporaryDirectory() as outside_any_module:
        completed = subprocess.run(
            [go, "mod", "download", "-json", f"{module}@{version}"],
            cwd=outside_any_module,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    try:
        found = json.loads(completed.stdout)
    except json.JSONDecodeError:
        found = {}
    if completed.returncode != 0 or "Zip" not in found:
        reason = found.get("Error") or completed.stderr.strip() or "no output"
        raise GoBuildError(f"fetching {module}@{version} failed: {reason}")
    return Path(found["Zip"])


def _read_from_module(module: str, version: str, path: str) -> bytes:
    with zipfile.ZipFile(_module_zip(module, version)) as archive:
        return archive.read(f"{module}@{version}/{path}")


def _module_files(module: str, version: str, folder: str, suffix: str) -> Iterator[tuple[str, str]]:
    """(name, text) of the files directly in ``folder`` of the module whose names end so."""
    prefix = f"{module}@{version}/{folder}"
    with zipfile.ZipFile(_module_zip(module, version)) as archive:
        for name in sorted(archive.namelist()):
            rest = name.removeprefix(prefix)
            if name.startswith(prefix) and "/" not in rest and rest.endswith(suffix):
                yield rest, archive.read(name).decode()
