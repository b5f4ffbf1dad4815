"""GET /vendor/plotly.min.js: Plotly.js from the installed plotly package, never a CDN."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)

CACHE_SECONDS = 7 * 24 * 3600  # the file changes only when the plotly package does


@lru_cache(maxsize=1)
def plotly_path():
    """Where the plotly package keeps its bundled plotly.min.js (None if it does not)."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@router.get("/vendor/plotly.min.js", response_model=None)
async def plotly_js():
    """Plotly.js as shipped by the plotly Python package."""
    path = plotly_path()
    if path is None:
        raise HTTPException(404, "plotly.min.js is not in the installed plotly package")
    return FileResponse(path, media_type="text/javascript",
                        headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})
