"""How many examples the property and stateful tests run: ``HYPOTHESIS_PROFILE``.

``ci`` (the default, what ``make test`` runs) keeps the suite well under its
15-minute budget on a 2-core machine; ``thorough`` runs each test at the counts it was
written with, for a longer hunt before a release (``HYPOTHESIS_PROFILE=thorough``).
The profile names also select Hypothesis's own settings profile (tests/conftest.py),
which bounds the tests that name no count of their own.

A test names both counts, ``examples(ci=…, thorough=…)``: what each run proves is
visible where the test is, not hidden in a scaling factor.
"""

from __future__ import annotations

import os

PROFILES = ("ci", "thorough")
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE!r}: expected one of {PROFILES}")


def examples(*, ci: int, thorough: int) -> int:
    """The example (or step) count of the selected profile."""
    if not 0 < ci <= thorough:
        raise ValueError(f"expected 0 < ci <= thorough, got ci={ci}, thorough={thorough}")
    return thorough if PROFILE == "thorough" else ci
