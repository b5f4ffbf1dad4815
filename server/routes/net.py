"""The network view's API: plan a stack of layers, the digits, and training runs.

A run lives in a worker process (server/net_runs.py); these handlers only pass commands
to it and stream its progress to the page as Server-Sent Events.
"""
from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sse_starlette.sse import EventSourceResponse

from server import compute, schemas, serialize
from server.net_runs import RunManager
from server.routes import ERRORS, app_settings
from server.settings import Settings

router = APIRouter(prefix="/api/net", tags=["network"])
MAX_IMAGES = 64


def runs(request: Request) -> RunManager:
    """The app's run manager, made on first use."""
    state = request.app.state
    if getattr(state, "net_runs", None) is None:
        state.net_runs = RunManager(state.settings)
    return state.net_runs


Runs = Annotated[RunManager, Depends(runs)]


def _plan(network: list) -> dict:
    from engine.network import describe_network

    return serialize.to_json(describe_network(network))


def _images(split: str, start: int, count: int) -> dict:
    from engine import digits

    x, y = digits.load().split(split)
    stop = min(len(y), start + count)
    return {"split": split, "total": len(y),
            "images": [{"index": i, "label": int(y[i]), "pixels": x[i, 0]}
                       for i in range(start, stop)]}


@router.post("/plan", response_model=schemas.NetPlan, responses=ERRORS)
async def plan(body: schemas.NetPlanRequest,
               settings: Annotated[Settings, Depends(app_settings)]):
    """Each layer's output volume and parameters, or why the stack does not fit."""
    network = [layer.spec() for layer in body.network]
    return await compute.run_in_thread(settings, _plan, network)


@router.get("/images", response_model=schemas.NetImages, responses=ERRORS)
async def images(settings: Annotated[Settings, Depends(app_settings)],
                 split: Annotated[str, Query(pattern="^(train|test)$")] = "test",
                 start: Annotated[int, Query(ge=0, le=2000)] = 0,
                 count: Annotated[int, Query(ge=1, le=MAX_IMAGES)] = 24):
    """Digits of the fixed train/test split: 8x8 pixels from 0 to 1, and their labels."""
    found = await compute.run_in_thread(settings, _images, split, start, count)
    return serialize.to_json(found)


@router.post("/runs", response_model=schemas.NetStatus, responses=ERRORS)
async def start_run(body: schemas.NetRunRequest, manager: Runs):
    """Start a training run (paused) in a worker process; stream it from .../events."""
    run, first = await manager.create(body.config())
    return {"run": run.id, **first}


@router.get("/runs/{run_id}", response_model=schemas.NetStatus, responses=ERRORS)
async def run_status(run_id: str, manager: Runs):
    """Where a run is: paused or running, epochs, batches, CPU seconds used."""
    run = manager.get(run_id)
    return {"run": run.id, **(await run.command("status"))}


@router.post("/runs/{run_id}/control", response_model=schemas.NetStatus, responses=ERRORS)
async def control(run_id: str, body: schemas.NetControlRequest, manager: Runs):
    """start or pause training, train one batch, reset (new settings optional), or stop."""
    run = manager.get(run_id)
    if body.action == "stop":
        await manager.stop(run_id, "the page stopped it")
        return {"run": run_id, "state": "stopped"}
    args = {"config": body.config.config()} if body.action == "reset" and body.config else {}
    if body.action == "start":
        args["speed"] = body.speed
    return {"run": run.id, **(await run.command(body.action, **args))}


@router.delete("/runs/{run_id}", response_model=schemas.NetStatus, responses=ERRORS)
async def stop_run(run_id: str, manager: Runs):
    """Stop a run and end its process."""
    manager.get(run_id)
    await manager.stop(run_id, "the page stopped it")
    return {"run": run_id, "state": "stopped"}


@router.get("/runs/{run_id}/events", responses=ERRORS)
async def events(run_id: str, request: Request, manager: Runs):
    """Server-Sent Events: "progress" (a point of the curves and the filters) while
    training runs, "end" when the run ends. Closing the stream stops the run."""
    run = manager.get(run_id)
    run.streaming = True

    async def stream():
        try:
            while True:
                item = await run.events.get()
                yield {"event": item["event"], "data": serialize.dumps(item["data"])}
                if item["event"] == "end":
                    return
        finally:
            # The page went away (or the run ended): nothing should keep computing for it.
            await asyncio.shield(manager.stop(run_id, "the page went away"))

    return EventSourceResponse(stream(), ping=10)


async def _ask(manager: RunManager, run_id: str, cmd: str, **args) -> Response:
    data = await manager.get(run_id).command(cmd, **args)
    return Response(serialize.dumps(data), media_type="application/json")


@router.post("/runs/{run_id}/inspect", responses=ERRORS)
async def inspect(run_id: str, body: schemas.NetInspectRequest, manager: Runs):
    """One image through the network as it is now: every layer's output and the gradient
    of that image's loss arriving at it, class probabilities, parameter gradients."""
    return await _ask(manager, run_id, "inspect", image=body.image.spec())


@router.post("/runs/{run_id}/conv", responses=ERRORS)
async def conv_link(run_id: str, body: schemas.NetConvLinkRequest, manager: Runs):
    """A conv layer on one image as a /api/conv body (an example the conv view opens)."""
    return await _ask(manager, run_id, "conv", image=body.image.spec(), layer=body.layer)


@router.post("/runs/{run_id}/neuron", responses=ERRORS)
async def neuron(run_id: str, body: schemas.NetNeuronRequest, manager: Runs):
    """One FC unit on one image as a /api/graph body: s = sum(w * x) + b, real numbers."""
    return await _ask(manager, run_id, "neuron", image=body.image.spec(), layer=body.layer,
                      unit=body.unit)
