"""Dependencies of the query API's routes, as ``Annotated`` aliases.

- ``MongoDep`` / ``SearchDep``: the read-model access objects the lifespan opened;
- ``FreshDep`` (from ``read_api.freshness``): the request's ``min_version`` wait;
- ``CurrentPrincipal`` (from ``infra.http.auth``): who is asking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from read_api.mongo_reads import MongoReads
from read_api.search_reads import SearchReads


@dataclass(frozen=True)
class ReadModels:
    """What the routes read while the app runs."""

    mongo: MongoReads
    search: SearchReads


def get_read_models(request: Request) -> ReadModels:
    """The read models the lifespan opened."""
    read_models: ReadModels = request.app.state.read_models
    return read_models


async def get_mongo(request: Request) -> MongoReads:
    return get_read_models(request).mongo


async def get_search(request: Request) -> SearchReads:
    return get_read_models(request).search


MongoDep = Annotated[MongoReads, Depends(get_mongo)]
SearchDep = Annotated[SearchReads, Depends(get_search)]
