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
from fastapi.responses import FileResponse, HTMLResponse, Response

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


# The page and the script that starts Swagger UI, as files: the server's
# Content-Security-Policy allows no inline script.
PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>chainrule API</title>
<link rel="stylesheet" href="{PREFIX}swagger-ui.css">
<link rel="icon" href="{PREFIX}favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{PREFIX}swagger-ui-bundle.js"></script>
<script src="{PREFIX}start.js"></script>
</body>
</html>
"""
START = """SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


@router.get("/docs", response_model=None)
async def swagger_ui():
    """Swagger UI over /openapi.json: try every endpoint from the browser."""
    return HTMLResponse(MISSING if asset_dir() is None else PAGE)


@router.get(PREFIX + "start.js", response_model=None)
async def swagger_start():
    """The script that starts Swagger UI on the docs page."""
    return Response(START, media_type="text/javascript")


@router.get(PREFIX + "{name}", response_model=None)
async def docs_asset(name: str):
    """One of the docs pages' scripts, styles or icon."""
    folder = asset_dir()
    if name not in ASSETS or folder is None:
        raise HTTPException(404, f"no docs asset {name!r}")
    return FileResponse(folder / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "public, max-age=604800"})
