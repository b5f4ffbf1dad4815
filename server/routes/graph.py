"""POST /api/graph: evaluate a program and return its whole computational graph."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from server import compute, schemas
from server.routes import ERRORS, app_settings
from server.settings import Settings

router = APIRouter(prefix="/api", tags=["graph"])


@router.post("/graph", response_model=schemas.GraphResponse, responses=ERRORS)
async def graph(body: Annotated[schemas.GraphRequest,
                                Body(openapi_examples=schemas.GRAPH_EXAMPLES)],
                settings: Annotated[Settings, Depends(app_settings)], request: Request):
    """Forward and backward pass: every node's value and gradient, both passes in order."""
    return await compute.answer(request, settings, "graph", body, cache=True)
