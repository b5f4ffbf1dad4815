"""Shared fixtures for the server tests: an app with the default server settings, a client,
and a strict JSON reader (NaN / Infinity tokens are not JSON and must never be sent)."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.settings import Settings


def _refuse(token: str):
    raise ValueError(f"non-standard JSON token {token!r} in a response")


def strict_json(response):
    """The response body parsed as strict JSON (fails on NaN, Infinity, -Infinity)."""
    return json.loads(response.text, parse_constant=_refuse)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def client(settings) -> TestClient:
    with TestClient(create_app(settings)) as c:
        yield c


def detail(response, status: int = 422) -> dict:
    """The first error item of a FastAPI-shaped error answer, after checking its status."""
    assert response.status_code == status, response.text
    body = strict_json(response)
    assert isinstance(body["detail"], list) and body["detail"], body
    item = body["detail"][0]
    assert {"type", "msg", "loc"} <= set(item), item
    return item
