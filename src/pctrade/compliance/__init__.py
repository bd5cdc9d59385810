"""Compliance (履约): cap, allocation, verified emissions, surrender with offsets, status.

Key emitters' obligations are what give a personal credit a buyer (DESIGN §7). This
context owns the arithmetic of an obligation (``allocation``, ``emissions``,
``surrender``, ``status``: pure, integers, every rule from the jurisdiction's rule
set); ``model`` its op types, pure planners and replay checks; ``service`` caps,
allocation runs (with a preview) and emissions reports; ``queries`` the obligation,
the cap's use and reports; ``audit`` its tables against the journal; ``sql`` its tables
(migration 0022).

The surrender side: ``surrendering`` the ``compliance_surrender`` entry (planner, replay
check, the once-only tracker), ``surrender_service`` the surrender (``Surrenders``),
``reports`` the status per emitter, the period's report and the cap-integrity report
(``integrity``: from the journal alone, its identities checked by ``verify``),
``surrender_context`` what it registers, ``sql.surrenders`` its tables (migration 0023).
"""
