"""Compliance (履约): cap, allocation, verified emissions, surrender with offsets, status.

Key emitters' obligations are what give a personal credit a buyer (DESIGN §7). This
context owns the arithmetic of an obligation (``allocation``, ``emissions``,
``surrender``, ``status``: pure, integers, every rule from the jurisdiction's rule
set); its service, tables and registry entries come next.
"""
