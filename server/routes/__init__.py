"""The API's routers, one module per area, and what they share."""
from __future__ import annotations

from fastapi import Request

from server.schemas import ErrorResponse
from server.settings import Settings

ERRORS = {
    413: {"model": ErrorResponse, "description": "The request body is over the size limit."},
    422: {"model": ErrorResponse, "description": "Bad input: a parse, name, shape, value or "
          "limit error (with line and col when the program text is to blame), or a body that "
          "does not match the schema."},
}


async def app_settings(request: Request) -> Settings:
    """Dependency: the settings of the app serving this request (async: a plain def would
    cost a trip through the thread pool on every request)."""
    return request.app.state.settings


def all_routers() -> list:
    """Every API router, in the order the app includes them."""
    from server.routes import conv, docs, grade, graph, meta, net, static
    return [graph.router, grade.router, conv.router, meta.router, static.router, docs.router,
            net.router]
