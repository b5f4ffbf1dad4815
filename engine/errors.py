"""The engine's one error type: what went wrong, what kind of wrong, and where in the text."""
from __future__ import annotations

KINDS = ("parse", "name", "shape", "value", "limit")


class EngineError(Exception):
    """A problem with the user's program or inputs, told in the user's terms.

    kind is one of KINDS; line and col (1-based) point into the program text when the
    problem comes from it.
    """

    def __init__(self, message: str, kind: str = "value", line: int | None = None,
                 col: int | None = None, **extra):
        assert kind in KINDS, kind
        self.message = message
        self.kind = kind
        self.line = line
        self.col = col
        self.extra = extra  # machine-readable details (a formula, suggestions, ...)
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, col {self.col}: {self.message}"
        return self.message

    def at(self, line: int | None, col: int | None) -> EngineError:
        """Attach a text position unless one is already known."""
        if self.line is None and line is not None:
            self.line, self.col = line, col
        return self

    def to_dict(self) -> dict:
        d = {"type": self.kind, "msg": str(self), "kind": self.kind, "message": self.message}
        if self.line is not None:
            d["line"], d["col"] = self.line, self.col
        d.update(self.extra)
        return d
