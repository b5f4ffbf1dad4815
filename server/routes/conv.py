"""POST /api/conv: one convolution layer (and optional ReLU / max pool) worked out."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from server import compute, schemas
from server.routes import ERRORS, app_settings
from server.settings import Settings

router = APIRouter(prefix="/api", tags=["convolution"])


@router.post("/conv", response_model=schemas.ConvResponse, responses=ERRORS)
async def conv(body: Annotated[schemas.ConvRequest,
                               Body(openapi_examples=schemas.CONV_EXAMPLES)],
               settings: Annotated[Settings, Depends(app_settings)], request: Request):
    """Output shape, size formula, parameter count, activation maps and their gradients."""
    return await compute.answer(request, settings, "conv", body, cache=True)


@router.post("/conv/grade", response_model=schemas.ConvGradeResponse,
             response_model_exclude_unset=True, responses=ERRORS)
async def conv_grade(body: schemas.ConvGradeRequest,
                     settings: Annotated[Settings, Depends(app_settings)], request: Request):
    """Grade predictions about a conv layer: output size (W2, H2, depth), one activation."""
    return await compute.answer(request, settings, "conv_grade", body)
