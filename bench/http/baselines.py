"""The hand-written baselines of bench/http: the least a FastAPI service can do for a deposit
(one INSERT into PostgreSQL) and for an account read (one ``find_one`` on the MongoDB-protocol
server), on the same servers as Ledgerline, under uvicorn with the options ``ledgerline serve``
uses.

    python bench/http/baselines.py insert|find-one --port PORT

Settings come from the ``LEDGERLINE_*`` environment like every Ledgerline process's. The routes
take the same paths and bodies as the APIs, so one wrk script drives both; they check no token
and keep no idempotency record.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import uvicorn
from fastapi import FastAPI, HTTPException
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from infra.settings import Settings

_TABLE = """
CREATE TABLE IF NOT EXISTS bench_deposits (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id       uuid NOT NULL,
    amount           bigint NOT NULL,
    reference        text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
)
"""
_INSERT = b"INSERT INTO bench_deposits (account_id, amount, reference) VALUES (%s, %s, %s)"


class Deposit(BaseModel):
    amount: int
    reference: str


def insert_app() -> FastAPI:
    """POST /v1/accounts/{id}/deposits: one INSERT through an async psycopg pool."""
    settings = Settings()
    pool = AsyncConnectionPool(
        settings.database_url,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        kwargs={"autocommit": True},
        open=False,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True)
        async with pool.connection() as conn:
            await conn.execute(_TABLE.encode())
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/accounts/{account_id}/deposits")
    async def deposit(account_id: UUID, body: Deposit) -> dict[str, Any]:
        async with pool.connection() as conn:
            await conn.execute(_INSERT, (account_id, body.amount, body.reference))
        return {"id": str(account_id)}

    return app


def find_one_app() -> FastAPI:
    """GET /v1/accounts/{id}: one ``find_one`` on the read model's accounts collection."""
    settings = Settings()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_url)
    accounts = client[settings.mongo_database]["accounts"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await client.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/accounts/{account_id}")
    async def account(account_id: UUID) -> dict[str, Any]:
        doc = await accounts.find_one({"_id": str(account_id)})
        if doc is None:
            raise HTTPException(404)
        return doc

    return app


FACTORIES = {"insert": "insert_app", "find-one": "find_one_app"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=sorted(FACTORIES))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        f"baselines:{FACTORIES[args.which]}",  # this directory is on sys.path
        factory=True,
        host=Settings().bind_host,
        port=args.port,
        # As infra/cli/serve.py runs the APIs.
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
