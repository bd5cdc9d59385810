"""The two matching engines the engine's tests run: the compiled core and the source.

``pctrade.market.engine`` runs its compiled modules when the install built them
(``implementation``); the tests run every rule, refusal, rebuild and random stream
against both, so that a miscompile, or a source change the compiled modules missed,
fails a test. Where no compiled core is built the compiled variant is skipped, unless
``PCTRADE_REQUIRE_COMPILED=1`` (CI sets it): then it fails.
"""

from __future__ import annotations

import os
from functools import cache

import pytest

from pctrade.market import engine
from pctrade.market.engine import OrderBook, implementation

VARIANTS = ("compiled", "python")


def compiled_runs() -> bool:
    return engine.IMPLEMENTATION.name == implementation.COMPILED


@cache
def _source_book() -> type[OrderBook]:
    if not compiled_runs():
        return OrderBook  # the engine as imported is the source already
    book_class: type[OrderBook] = implementation.load_source(keep=False)["book"].OrderBook
    return book_class


def book_class(variant: str) -> type[OrderBook]:
    """The ``OrderBook`` class of one variant (skips, or fails, when it is not built)."""
    if variant == "python":
        return _source_book()
    if not compiled_runs():
        why = f"no compiled engine in this install ({engine.IMPLEMENTATION})"
        if os.environ.get("PCTRADE_REQUIRE_COMPILED") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return OrderBook
