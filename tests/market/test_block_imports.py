"""Block trades and auctions import the standard library, the kernel and (block trades
only) the matching engine's public package, and nothing else.

The import contract in pyproject (``market-block-auction-pure``) forbids what exists
today; this whitelist also refuses what does not exist yet (a new dependency, the
market's service), so both models stay pure domain code however the market grows.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import pctrade.market.auction as auction
import pctrade.market.block as block

ALLOWED = {
    "block": ("pctrade.kernel", "pctrade.market.block", "pctrade.market.engine"),
    "auction": ("pctrade.kernel", "pctrade.market.auction"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{path.name}: a relative import"
            found.add(node.module)
    return found


def _allowed(module: str, prefixes: tuple[str, ...]) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    if module == "pctrade.market.engine":  # its public package, not its book's insides
        return "pctrade.market.engine" in prefixes
    return module.startswith(tuple(p for p in prefixes if p != "pctrade.market.engine"))


@pytest.mark.parametrize(("name", "package"), [("block", block), ("auction", auction)])
def test_the_model_imports_only_the_standard_library_the_kernel_and_what_it_may(
    name: str, package: object
) -> None:
    files = sorted(Path(str(getattr(package, "__file__", ""))).parent.glob("*.py"))
    assert len(files) >= 5
    prefixes = ALLOWED[name]
    outside = {f"{f.name}: {m}" for f in files for m in _imports(f) if not _allowed(m, prefixes)}
    assert outside == set()


def test_the_whitelist_refuses_what_it_should() -> None:
    block_ok, auction_ok = ALLOWED["block"], ALLOWED["auction"]
    assert _allowed("pctrade.market.engine", block_ok)
    assert not _allowed("pctrade.market.engine", auction_ok)
    assert not _allowed("pctrade.market.engine.book", block_ok)
    assert not _allowed("pctrade.rules.model", block_ok)
    assert not _allowed("pctrade.market.service", auction_ok)
    assert not _allowed("sqlalchemy", auction_ok) and _allowed("collections.abc", auction_ok)
