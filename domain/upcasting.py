"""Upcasting: old event shapes are converted to the current shape on read, never rewritten.

An upcaster takes the ``data`` of one schema version of one stored event type and returns the
data of the next version; ``upcast`` chains them up to the class's current ``SCHEMA_VERSION``.
Upcasters are registered at the end of this module with ``@upcaster(type, from_version=N)``
when an event class's SCHEMA_VERSION is raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.registry import schema_version_of

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UpcastingError(Exception):
    """Stored data can't be brought to the current shape: missing upcaster or future version."""


class UpcasterRegistry:
    """Upcasters keyed by (type name, from_version); each yields version from_version + 1."""

    def __init__(self, current_version: Callable[[str], int] = schema_version_of) -> None:
        self._current_version = current_version
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, type_name: str, from_version: int, function: Upcaster) -> None:
        if from_version < 1:
            raise ValueError(f"Schema versions start at 1, got {from_version}.")
        key = (type_name, from_version)
        if key in self._upcasters:
            raise ValueError(f"An upcaster for {type_name} v{from_version} already exists.")
        self._upcasters[key] = function

    def upcaster(self, type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator form of ``register``."""

        def decorate(function: Upcaster) -> Upcaster:
            self.register(type_name, from_version, function)
            return function

        return decorate

    def upcast(
        self, type_name: str, schema_version: int, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Return ``data`` brought from ``schema_version`` to the current version (a new dict)."""
        target = self._current_version(type_name)
        if not 1 <= schema_version <= target:
            raise UpcastingError(
                f"{type_name} v{schema_version} can't be read: this code knows v1..v{target}."
            )
        # Copy first: upcasters may mutate what they are given, the caller's dict stays intact.
        result = dict(data)
        for version in range(schema_version, target):
            try:
                step = self._upcasters[(type_name, version)]
            except KeyError:
                raise UpcastingError(f"No upcaster for {type_name} v{version}.") from None
            result = step(result)
        return result


UPCASTERS = UpcasterRegistry()


def upcaster(
    type_name: str, from_version: int, *, registry: UpcasterRegistry = UPCASTERS
) -> Callable[[Upcaster], Upcaster]:
    """Register the decorated function as the upcaster of ``type_name`` from ``from_version``."""
    return registry.upcaster(type_name, from_version)


def upcast(
    type_name: str,
    schema_version: int,
    data: Mapping[str, Any],
    *,
    registry: UpcasterRegistry = UPCASTERS,
) -> dict[str, Any]:
    """Bring stored event ``data`` of ``schema_version`` to the current version."""
    return registry.upcast(type_name, schema_version, data)


@upcaster("UserRegistered", from_version=1)
def _user_registered_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v2 added ``password_hash``: users registered before passwords existed have none (they
    cannot log in until they set one)."""
    return {**data, "password_hash": None}


@upcaster("UserRegistered", from_version=2)
def _user_registered_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v3 added ``language``: users registered before it get their e-mails in English."""
    return {**data, "language": "en"}
