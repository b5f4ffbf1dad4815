"""GET /docs: the API docs page, with its scripts served from this app.

FastAPI's default page loads Swagger UI from a CDN; chainrule loads nothing from the
internet, so the assets come from the installed `fastapi-offline` package (which ships
Swagger UI 5 as package data) under /vendor/docs/. There is no /redoc: ReDoc fetches its
logo from the internet.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
          "favicon.png": "image/png"}
PREFIX = "/vendor/docs/"
MISSING = ("<!doctype html><title>chainrule API</title><p>The docs page needs the "
           "<code>fastapi-offline</code> package (pip install fastapi-offline). The API "
           "description itself is at <a href=\"/openapi.json\">/openapi.json</a>.</p>")


@lru_cache(maxsize=1)
def asset_dir():
    """The folder holding the docs pages' scripts, or None when the package is missing."""
    try:
        folder = resources.files("fastapi_offline") / "static"
    except ModuleNotFoundError:
        return None
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


@router.get("/docs", response_model=None)
async def swagger_ui():
    """Swagger UI over /openapi.json: try every endpoint from the browser."""
    if asset_dir() is None:
        return HTMLResponse(MISSING)
    return get_swagger_ui_html(openapi_url="/openapi.json", title="chainrule API",
                               swagger_js_url=PREFIX + "swagger-ui-bundle.js",
                               swagger_css_url=PREFIX + "swagger-ui.css",
                               swagger_favicon_url=PREFIX + "favicon.png")


@router.get(PREFIX + "{name}", response_model=None)
async def docs_asset(name: str):
    """One of the docs pages' scripts, styles or icon."""
    folder = asset_dir()
    if name not in ASSETS or folder is None:
        raise HTTPException(404, f"no docs asset {name!r}")
    return FileResponse(folder / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=604800"})
