"""POST /api/grade and /api/grade/batch: grade submitted values and gradients."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from server import compute, schemas
from server.routes import ERRORS, app_settings
from server.settings import Settings

router = APIRouter(prefix="/api", tags=["grading"])


@router.post("/grade", response_model=schemas.GradeResponse, response_model_exclude_unset=True,
             responses=ERRORS)
async def grade(body: Annotated[schemas.GradeRequest,
                                Body(openapi_examples=schemas.GRADE_EXAMPLES)],
                settings: Annotated[Settings, Depends(app_settings)], request: Request):
    """Grade one submission's answers; score = correct / total."""
    return await compute.answer(request, settings, "grade", body)


@router.post("/grade/batch", response_model=schemas.BatchGradeResponse,
             response_model_exclude_unset=True, responses=ERRORS)
async def grade_batch(body: Annotated[schemas.BatchGradeRequest,
                                      Body(openapi_examples=schemas.BATCH_EXAMPLES)],
                      settings: Annotated[Settings, Depends(app_settings)], request: Request):
    """Evaluate once and grade many submissions; results keyed by id, in order."""
    return await compute.answer(request, settings, "grade_batch", body)
