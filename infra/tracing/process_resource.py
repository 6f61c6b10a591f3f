"""What identifies a process's spans in Jaeger: its OpenTelemetry resource (service name and
namespace, instance id, host, pid), built once by ``configure_tracing``."""

from __future__ import annotations

import os
import socket
import uuid

from opentelemetry.sdk.resources import Resource


def process_resource(service_name: str) -> Resource:
    """The resource of this process's spans, exported as ``service_name``."""
    return Resource.create(
        {
            "service.name": service_name,
            "service.namespace": "ledgerline",
            "service.instance.id": str(uuid.uuid4()),
            "host.name": socket.gethostname(),
            "process.pid": os.getpid(),
        }
    )
