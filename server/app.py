"""The chainrule web app: API routers, the browser app's static files, errors and CORS.

`uvicorn server.app:app` serves it; `create_app(settings)` builds one with other settings
(the tests do). API routes are registered before the static mount at "/", so they win.
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from server import __version__, errors
from server.cache import ResponseCache
from server.http import Conformance
from server.pool import WorkerPool
from server.routes import all_routers
from server.settings import Settings, get_settings

DESCRIPTION = """\
chainrule evaluates a small program, builds its computational graph and returns every
node's value and gradient (the chain rule, gate by gate). Autograders can grade submitted
values and gradients with `/api/grade` and `/api/grade/batch`.

Bad input answers **422** in FastAPI's shape `{{"detail": [{{"type", "msg", "loc", ...}}]}}`
(engine errors add `line` and `col`); bodies over the size limit answer **413**.

**Limits of this server** (environment variable `CHAINRULE_<NAME>` overrides each):

{limits}
"""


def describe(settings: Settings) -> str:
    """The /docs front matter, listing the limits actually in force."""
    rows = "\n".join(f"- `{name}` (`CHAINRULE_{name.upper()}`): {value}"
                     for name, value in settings.public().items())
    return DESCRIPTION.format(limits=rows)


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Engine workers start with the server (a request may also start them) and stop with it."""
    if app.state.settings.isolation != "threads":
        await app.state.pool.start()
    yield
    app.state.pool.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured app; settings default to the environment's (see server.settings)."""
    settings = settings or get_settings()
    app = FastAPI(title="chainrule", version=__version__, description=describe(settings),
                  docs_url=None, redoc_url=None,  # served by routes/docs.py, without a CDN
                  lifespan=lifespan)
    app.state.settings = settings
    app.state.pool = WorkerPool(settings)
    app.state.cache = ResponseCache(settings.cache_entries, settings.cache_bytes)
    for router in all_routers():
        app.include_router(router)
    app.add_middleware(Conformance, routes=app.routes, frame_ancestors=settings.frame_ancestors)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    errors.install(app, settings.max_body_bytes)  # last, so its guard is the outermost layer
    app.mount("/", StaticFiles(directory=settings.web_dir, html=True, check_dir=False),
              name="web")
    return app


app = create_app()
