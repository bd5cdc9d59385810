"""The market's engine tests run once per engine variant (see ``engine_variants``)."""

from __future__ import annotations

import pytest
from engine_variants import VARIANTS
from engine_variants import book_class as variant_book_class

from pctrade.market.engine import OrderBook


@pytest.fixture(scope="session", params=VARIANTS)
def book_class(request: pytest.FixtureRequest) -> type[OrderBook]:
    """``OrderBook`` compiled, then as Python source."""
    return variant_book_class(request.param)
