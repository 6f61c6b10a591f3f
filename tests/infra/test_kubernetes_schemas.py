"""The schemas kubeconform checks the chart against: named as its registry looks them up, made
strict, standalone (a kind's file carries every definition it refers to, recursive ones too)."""

from __future__ import annotations

from infra.servers.kubernetes_schemas import crd_schemas, kubernetes_schemas, schema_file_name


def test_files_are_named_as_kubeconform_looks_them_up() -> None:
    assert schema_file_name("Deployment", "apps/v1") == "deployment-apps-v1.json"
    assert schema_file_name("Service", "v1") == "service-v1.json"
    assert schema_file_name("NetworkPolicy", "networking.k8s.io/v1") == (
        "networkpolicy-networking-v1.json"
    )
    assert schema_file_name("ScaledObject", "keda.sh/v1alpha1") == "scaledobject-keda-v1alpha1.json"


def test_a_kind_is_standalone_strict_and_takes_either_form_of_int_or_string() -> None:
    swagger = {
        "definitions": {
            "a.Widget": {
                "description": "dropped",
                "properties": {
                    "spec": {"$ref": "#/definitions/a.Spec"},
                    "description": {"type": "string"},  # a property of that name stays
                },
                "x-kubernetes-group-version-kind": [
                    {"group": "example.io", "kind": "Widget", "version": "v1"}
                ],
            },
            "a.Spec": {
                "properties": {
                    "port": {"format": "int-or-string", "type": "string"},
                    "children": {"items": {"$ref": "#/definitions/a.Spec"}, "type": "array"},
                }
            },
            "a.Unused": {"type": "string"},
        }
    }

    schema = kubernetes_schemas(swagger)["widget-example-v1.json"]

    assert schema["additionalProperties"] is False
    assert "description" not in schema and "description" in schema["properties"]
    assert set(schema["definitions"]) == {"a.Widget", "a.Spec"}
    spec = schema["definitions"]["a.Spec"]
    assert spec["additionalProperties"] is False
    assert spec["properties"]["port"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}


def test_every_served_version_of_a_crd_gets_a_file() -> None:
    crd = {
        "spec": {
            "group": "keda.sh",
            "names": {"kind": "ScaledObject"},
            "versions": [
                {"name": "v1alpha1", "schema": {"openAPIV3Schema": {"properties": {}}}},
                {"name": "v1beta1"},  # no schema: nothing to check against
            ],
        }
    }

    assert crd_schemas(crd) == {
        "scaledobject-keda-v1alpha1.json": {"properties": {}, "additionalProperties": False}
    }
