"""The worker pool: engine work runs in other processes, a deadline kills it, a memory cap
stops it, a client that hangs up cancels it, light requests overtake heavy ones, and the
pool heals itself after every kill."""
from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import engine
from server import pool, schemas
from server.settings import Settings

# One uninterruptible numpy call of about a second (or more) on one core: the engine's own
# time check never gets a chance to run during it, only a kill stops it.
HEAVY = {"expression": "f = sum(x @ x)",
         "inputs": {"x": {"shape": [2500, 2500], "init": "ones"}}}
LIGHT = {"expression": "f = (x + y) * z", "inputs": {"x": -2, "y": 5, "z": -4}}


def run_async(coro_fn):
    """Run a coroutine function on an event loop of its own thread (browser tests may hold
    one on the main thread)."""
    with ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro_fn()).result()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[-1][0] != "Z"


async def started_pool(**overrides) -> pool.WorkerPool:
    """A started pool; answers may be large, so that HEAVY runs until it is stopped."""
    p = pool.WorkerPool(Settings(**{"max_response_numbers": 10**9, **overrides}))
    await p.start()
    return p


def test_work_runs_in_another_process_and_returns_json_bytes():
    async def go():
        p = await started_pool()
        try:
            body = schemas.GraphRequest(**LIGHT)
            payload = await p.run("graph", body, light=True)
            pids = {w.pid for lane in p.idle.values() for w in lane}
            return payload, pids
        finally:
            p.close()

    payload, pids = run_async(go)
    assert isinstance(payload, bytes) and b'"gradients":{"x":-4.0,"y":-4.0,"z":3.0}' in payload
    assert os.getpid() not in pids and len(pids) == 3


def test_a_job_past_its_deadline_is_killed_and_replaced():
    async def go():
        p = await started_pool(max_seconds=0.5, max_input_elements=10**7,
                               max_total_elements=10**8)
        try:
            body = schemas.GraphRequest(**HEAVY)
            w_before = {w.pid for w in p.idle["main"]}
            start = time.perf_counter()
            with pytest.raises(engine.EngineError) as info:
                await p.run("graph", body)
            took = time.perf_counter() - start
            for _ in range(100):  # the replacement starts
                if len(p.idle["main"]) == 2:
                    break
                await asyncio.sleep(0.05)
            after = {w.pid for w in p.idle["main"]}
            ok = await p.run("graph", schemas.GraphRequest(**LIGHT))
            return info.value, took, w_before, after, ok, p.kills
        finally:
            p.close()

    err, took, before, after, ok, kills = run_async(go)
    assert err.kind == "limit" and "took longer than 0.5 s" in str(err), err
    assert took < 0.5 + pool.KILL_GRACE_SECONDS + 1.0, took  # (a loaded machine is slow)
    assert kills == 1 and len(after) == 2 and before != after, (kills, before, after)
    killed = before - after
    assert killed and not any(alive(pid) for pid in killed)
    assert b'"value":-12.0' in ok


def test_a_job_over_the_memory_cap_is_a_limit_error_naming_the_cap():
    async def go():
        p = await started_pool(worker_memory_mb=400, max_input_elements=10**8,
                               max_total_elements=10**9, max_seconds=5)
        try:
            body = schemas.GraphRequest(expression="f = sum(x * 2)",
                                        inputs={"x": {"shape": [8000, 8000]}})  # 512 MB
            with pytest.raises(engine.EngineError) as info:
                await p.run("graph", body)
            ok = await p.run("graph", schemas.GraphRequest(**LIGHT))
            return info.value, ok
        finally:
            p.close()

    err, ok = run_async(go)
    assert err.kind == "limit" and "more than 400 MB" in str(err)
    assert b'"value":-12.0' in ok


def test_a_client_that_hangs_up_cancels_its_job():
    async def go():
        p = await started_pool(max_seconds=10, max_input_elements=10**7,
                               max_total_elements=10**8)
        try:
            busy = list(p.idle["main"])
            gone = asyncio.sleep(0.2)
            start = time.perf_counter()
            with pytest.raises(pool.Cancelled):
                await p.run("graph", schemas.GraphRequest(**HEAVY), cancel=gone)
            took = time.perf_counter() - start
            await asyncio.sleep(0.1)
            return took, sum(alive(w.pid) for w in busy), p.kills
        finally:
            p.close()

    took, still_alive, kills = run_async(go)
    assert took < 0.5 and kills == 1
    assert still_alive == 1  # of the two main workers, the one that ran the job is gone


def test_light_requests_do_not_queue_behind_heavy_ones():
    async def go():
        p = await started_pool(max_seconds=3, max_input_elements=10**7,
                               max_total_elements=10**8)
        try:
            heavy = [asyncio.ensure_future(p.run("graph", schemas.GraphRequest(**HEAVY)))
                     for _ in range(4)]
            await asyncio.sleep(0.1)  # every main worker is busy, two heavy jobs wait
            times = []
            for _ in range(10):
                start = time.perf_counter()
                await p.run("graph", schemas.GraphRequest(**LIGHT), light=True)
                times.append(time.perf_counter() - start)
            for h in heavy:
                h.cancel()
            await asyncio.gather(*heavy, return_exceptions=True)
            return times
        finally:
            p.close()

    times = run_async(go)
    # Queued behind the heavy jobs, each would wait for a 3 s deadline.
    assert max(times) < 1.0 and sorted(times)[5] < 0.25, times


def test_a_light_looking_job_that_runs_long_leaves_the_fast_lane():
    async def go():
        p = await started_pool(max_seconds=3, max_input_elements=10**7,
                               max_total_elements=10**8)
        try:
            slow = asyncio.ensure_future(p.run("graph", schemas.GraphRequest(**HEAVY),
                                               light=True))
            await asyncio.sleep(pool.FAST_LANE_SECONDS + 0.2)
            counts = dict(p.count)
            start = time.perf_counter()
            await p.run("graph", schemas.GraphRequest(**LIGHT), light=True)
            took = time.perf_counter() - start
            slow.cancel()
            await asyncio.gather(slow, return_exceptions=True)
            return counts, took
        finally:
            p.close()

    counts, took = run_async(go)
    assert counts == {"fast": 1, "main": 3} and took < 1.0, (counts, took)


def test_a_streaming_job_yields_as_it_goes_and_stops_when_left():
    async def go():
        got, stamps = [], []
        start = time.perf_counter()
        async for message in pool.stream("tests.server.stream_jobs:count", 3, 0.1,
                                         seconds=5, memory_mb=512):
            got.append(message)
            stamps.append(time.perf_counter() - start)
        early = []
        gen = pool.stream("tests.server.stream_jobs:count", 100, 0.05, seconds=5,
                          memory_mb=512)
        async for message in gen:
            early.append(message)
            if len(early) == 2:
                break
        await gen.aclose()
        return got, stamps, early

    got, stamps, early = run_async(go)
    assert got == [{"step": 0}, {"step": 1}, {"step": 2}]
    assert stamps[0] < stamps[-1] - 0.15  # messages arrive as they are made
    assert early == [{"step": 0}, {"step": 1}]


def test_a_streaming_job_has_its_own_time_and_memory_bounds():
    async def go():
        out = []
        for target, args, seconds, mb in (("count", (100, 0.05), 0.3, 512),
                                          ("hog", (600,), 10, 400)):
            messages = []
            with pytest.raises(engine.EngineError) as info:
                async for m in pool.stream(f"tests.server.stream_jobs:{target}", *args,
                                           seconds=seconds, memory_mb=mb):
                    messages.append(m)
            out.append((messages, info.value))
        return out

    (ticks, slow), (hogged, memory) = run_async(go)
    assert slow.kind == "limit" and "longer than 0.3 s" in str(slow) and 3 <= len(ticks) <= 7
    assert memory.kind == "limit" and "more than 400 MB" in str(memory)
    assert hogged == ["started"]
