"""Market data and surveillance import the standard library, the kernel, the engine, the
rules' model and each other, and nothing else (beside the import contract in pyproject,
``market-data-surveillance-pure``, which can only forbid what exists today)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pctrade.market.data as data
import pctrade.market.surveillance as surveillance

ALLOWED_PREFIXES = (
    "pctrade.kernel",
    "pctrade.market.engine",
    "pctrade.market.data",
    "pctrade.market.surveillance",
    "pctrade.rules.model",
)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{path.name}: a relative import"
            found.add(node.module)
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or module.startswith(ALLOWED_PREFIXES)


def test_data_and_surveillance_import_only_pure_modules() -> None:
    files = [
        f
        for package in (data, surveillance)
        for f in sorted(Path(package.__file__).parent.glob("*.py"))  # type: ignore[arg-type]
    ]
    assert len(files) >= 12
    outside = {f"{f.name}: {m}" for f in files for m in _imports(f) if not _allowed(m)}
    assert outside == set()


def test_the_whitelist_refuses_what_it_should() -> None:
    assert not _allowed("pctrade.rules.book") and not _allowed("pctrade.rules")
    assert not _allowed("pctrade.market.service") and not _allowed("pctrade.ledger.journal")
    assert _allowed("pctrade.rules.model") and _allowed("datetime")
