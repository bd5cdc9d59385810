"""Compliance (履约): cap, allocation, verified emissions, surrender with offsets, status.

Key emitters' obligations are what give a personal credit a buyer (DESIGN §7). This
context owns the arithmetic of an obligation (``allocation``, ``emissions``,
``surrender``, ``status``: pure, integers, every rule from the jurisdiction's rule
set); ``model`` its op types, pure planners and replay checks; ``service`` caps,
allocation runs (with a preview) and emissions reports; ``queries`` the obligation,
the cap's use and reports; ``audit`` its tables against the journal; ``sql`` its tables
(migration 0022).
"""
