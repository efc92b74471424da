"""The library's loggers: each module that logs takes its logger here, which makes sure agentkit stays quiet.

A library never prints by itself: without configured logging, agentkit's records go nowhere (a ``NullHandler`` on
the ``agentkit`` logger). It is attached when the first module that logs is imported, so ``import agentkit`` and
``from agentkit import tool`` need not load :mod:`logging`.
"""

from __future__ import annotations

import logging

__all__ = ("library_logger",)

logging.getLogger("agentkit").addHandler(logging.NullHandler())


def library_logger(name: str) -> logging.Logger:
    """The logger ``name`` (under ``agentkit``), with the library's ``NullHandler`` in place."""
    return logging.getLogger(name)
