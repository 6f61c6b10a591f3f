"""``/.well-known``: our public signing keys (JWKS) and OpenID Connect discovery, so any service
can verify Ledgerline's access tokens with a standard library."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from infra.auth.keys import ALGORITHM, KeyStore
from infra.http.routing import DocstringSummaryRoute

router = APIRouter(prefix="/.well-known", tags=["auth"], route_class=DocstringSummaryRoute)


@router.get("/jwks.json")
def jwks(request: Request) -> dict[str, Any]:
    """The public keys our access tokens are signed with (RFC 7517), by ``kid``."""
    keys: KeyStore = request.app.state.key_store
    keys.signing_key()  # a fresh system publishes the key it is about to sign with
    return keys.jwks()


@router.get("/openid-configuration")
def openid_configuration(request: Request) -> dict[str, Any]:
    """OpenID Connect discovery: issuer, endpoints, grant types and signing algorithms."""
    issuer = request.app.state.settings.auth_issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/v1/auth/token",
        "grant_types_supported": ["password", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_signing_alg_values_supported": [ALGORITHM],
        "claims_supported": ["iss", "aud", "sub", "exp", "iat", "jti", "sid", "amr", "roles"],
    }
