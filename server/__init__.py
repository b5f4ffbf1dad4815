"""chainrule's HTTP side: a FastAPI app over the engine, and the `chainrule` command line."""
from __future__ import annotations

from importlib import metadata


def _version() -> str:
    """The installed package's version, or a marker when running from a bare checkout."""
    try:
        return metadata.version("chainrule")
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
