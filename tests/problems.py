"""Assertions on RFC 9457 problem responses, shared by the HTTP test packages."""

from __future__ import annotations

from typing import Any


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and type code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= problem.keys()
    if code is not None:
        assert problem["type"] == f"https://ledgerline.dev/problems/{code}"
    return problem
