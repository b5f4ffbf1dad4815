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


@lru_cache(maxsize=1)
def _examples_without_notes() -> list:
    return [{k: v for k, v in e.items() if k != "explanation"} for e in _examples()]


@router.get("/examples", response_model=list[schemas.Example])
async def examples(quiz: bool = False):
    """The lecture's worked examples, ready to post to /api/graph or /api/conv (quiz=true:
    without their notes, which give the answers away)."""
    return _examples_without_notes() if quiz else _examples()


@router.get("/ops", response_model=list[schemas.OpInfo])
async def ops():
    """The op registry: name, symbol, arity, parameters, gradient-flow pattern, doc."""
    return _ops()


@router.get("/health", response_model=schemas.Health)
async def health():
    """Liveness check with the running version."""
    return {"status": "ok", "version": __version__}
