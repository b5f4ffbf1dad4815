"""A small LRU cache of finished JSON answers, keyed by the canonical request body.

Evaluation is deterministic (generator inputs have a default seed), so the same body
always gets the same bytes. A class opening the same lecture example, or graders posting
one assignment's program over and over, then cost a dictionary lookup instead of a parse,
a forward and backward pass and a serialisation. Bounded by entry count and total bytes;
an answer bigger than a sixteenth of the byte budget is not kept. Used only from the event
loop thread, so it needs no lock.
"""
from __future__ import annotations

from collections import OrderedDict


class ResponseCache:
    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = self.misses = 0

    def get(self, key: str) -> bytes | None:
        payload = self._entries.get(key)
        if payload is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return payload

    def put(self, key: str, payload: bytes) -> None:
        if self.max_entries <= 0 or len(payload) > self.max_bytes // 16 or key in self._entries:
            return
        self._entries[key] = payload
        self._bytes += len(payload)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self._bytes -= len(old)

    def __len__(self) -> int:
        return len(self._entries)
