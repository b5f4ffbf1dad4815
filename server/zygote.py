"""A fork server for engine workers: one process with the engine imported, forked per worker.

Starting a Python process and importing numpy, the engine and pydantic takes about 0.7 s;
forking a process that has done it already takes milliseconds, so a worker killed at its
deadline is replaced at once. The zygote is started with `subprocess` (it never inherits
the server's threads or event loop), runs single-threaded, and forks on request:

    server                                               zygote
    spawn(target, args)  -- pickled (target, args), fd -->  fork; the child runs
                                                            target(Connection(fd), *args)
                         <-- the child's pid ------------  and closes fd

`target` is "module:function". The zygote reaps its children itself (SIGCHLD ignored), and
exits when the server's end of its socket closes; each worker exits when its own pipe
closes, so nothing outlives the server.
"""
from __future__ import annotations

import importlib
import json
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

PRELOAD = ("server.worker",)
SINGLE_THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
HEADER = struct.Struct("!I")


def _recv_exact(sock: socket.socket, n: int, fds: list | None = None) -> bytes:
    data = b""
    while len(data) < n:
        if fds is not None and not data:
            chunk, got, _, _ = socket.recv_fds(sock, n - len(data), 1)
            fds.extend(got)
        else:
            chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def resolve(target: str):
    """"module:function" to the function (targets are named by the server, never a user)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def main() -> None:
    """The zygote's loop (runs in the zygote process)."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C stops the server, which stops us
    sock.sendall(b"R")
    while True:
        fds: list[int] = []
        try:
            size = HEADER.unpack(_recv_exact(sock, HEADER.size, fds))[0]
            target, args = pickle.loads(_recv_exact(sock, size))
        except (EOFError, OSError):
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            code = 0
            try:
                resolve(target)(Connection(fds[0]), *args)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        sock.sendall(HEADER.pack(pid))


class Zygote:
    """The server's handle on its zygote process; `spawn` is thread-safe."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        for name in SINGLE_THREAD_ENV:  # the pool, not BLAS, decides how many cores work
            env.setdefault(name, "1")
        code = (f"import sys; sys.path[:0] = {json.dumps(sys.path)}; "
                f"from server.zygote import main; main()")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno())],
                                        pass_fds=(theirs.fileno(),), env=env,
                                        stdin=subprocess.DEVNULL)
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        if _recv_exact(self.sock, 1) != b"R":
            raise RuntimeError("the engine zygote did not start")

    def spawn(self, target: str, args: tuple) -> tuple[int, Connection]:
        """Fork a worker running target(conn, *args); returns its pid and our end of conn."""
        ours, theirs = socket.socketpair()
        payload = pickle.dumps((target, args), protocol=pickle.HIGHEST_PROTOCOL)
        with self.lock:
            socket.send_fds(self.sock, [HEADER.pack(len(payload))], [theirs.fileno()])
            self.sock.sendall(payload)
            pid = HEADER.unpack(_recv_exact(self.sock, HEADER.size))[0]
        theirs.close()
        return pid, Connection(ours.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.sock.close()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()


_zygote: Zygote | None = None
_lock = threading.Lock()


def zygote() -> Zygote:
    """The process's zygote, started on first use (and again if it died)."""
    global _zygote
    with _lock:
        if _zygote is None or not _zygote.alive():
            _zygote = Zygote()
        return _zygote
