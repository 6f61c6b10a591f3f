"""The message a projector publishes after each batch it wrote: which stream is now at which
version in its read model (one message per batch, on ``RedisNames.read_model_versions``).

JSON object ``{"<stream id>": <version>, ...}``. A subscriber that cannot decode a message
ignores it: versions are hints for waiters, who always re-read the document itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def encode_versions(versions: Mapping[str, int]) -> bytes:
    return json.dumps(versions, separators=(",", ":")).encode()


def decode_versions(message: bytes) -> dict[str, int]:
    """The stream versions in ``message``; empty if it is not such a message."""
    try:
        decoded = json.loads(message)
    except ValueError:
        return {}
    if not isinstance(decoded, dict):
        return {}
    return {
        str(stream): version
        for stream, version in decoded.items()
        if isinstance(version, int) and not isinstance(version, bool)
    }
