"""GET /api/examples, /api/ops and /api/health: what the engine offers, and is it up."""
from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter

import engine
from server import __version__, schemas, serialize

router = APIRouter(prefix="/api", tags=["reference"])


@lru_cache(maxsize=1)
def _examples() -> list:
    return serialize.to_json(list(engine.EXAMPLES))


@lru_cache(maxsize=1)
def _ops() -> list:
    return serialize.to_json([op.info() for op in engine.REGISTRY.values()])


@router.get("/examples", response_model=list[schemas.Example])
async def examples():
    """The lecture's worked examples, ready to post to /api/graph or /api/conv."""
    return _examples()


@router.get("/ops", response_model=list[schemas.OpInfo])
async def ops():
    """The op registry: name, symbol, arity, parameters, gradient-flow pattern, doc."""
    return _ops()


@router.get("/health", response_model=schemas.Health)
async def health():
    """Liveness check with the running version."""
    return {"status": "ok", "version": __version__}
