"""Load methodology files shipped with the package (the only I/O in `behaviour`).

Files live at `pctrade/behaviour/methodologies/<family>/v<N>.toml` and are read
through `importlib.resources`, so they work from a wheel as well as from a
checkout. Parsing is strict: every factor and cap must be an integer (a float
such as `46.8` is refused, because it could not be summed exactly), every
factor must cite a source that the file defines, and speed bounds are only
accepted for distance behaviours whose base unit is the metre.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any

from pctrade.energy.behaviour.model import (
    CORE_FIELDS,
    OPTIONAL_FIELDS,
    BehaviourType,
    Catalogue,
    Methodology,
    Source,
)

_METRES_PER_KM = 1_000


class MethodologyError(ValueError):
    """A methodology file is malformed; the message names the file and key."""


def load_catalogue(versions: Mapping[str, int] | None = None) -> Catalogue:
    """Load one version of every shipped family (the latest unless `versions` pins it)."""
    root = resources.files("pctrade.energy.behaviour") / "methodologies"
    methodologies = []
    for family_dir in sorted(root.iterdir(), key=lambda entry: entry.name):
        if not family_dir.is_dir() or family_dir.name.startswith(("_", ".")):
            continue
        available = _versions_in(family_dir)
        if not available:
            continue
        wanted = (versions or {}).get(family_dir.name, max(available))
        if wanted not in available:
            raise MethodologyError(f"{family_dir.name}: no version {wanted}")
        methodologies.append(load_text(available[wanted].read_text(encoding="utf-8")))
    return Catalogue(tuple(methodologies))


def _versions_in(family_dir: Traversable) -> dict[int, Traversable]:
    found: dict[int, Traversable] = {}
    for entry in family_dir.iterdir():
        name = entry.name
        if name.startswith("v") and name.endswith(".toml") and name[1:-5].isdigit():
            found[int(name[1:-5])] = entry
    return found


def load_text(text: str) -> Methodology:
    """Parse one methodology file's text."""
    doc = tomllib.loads(text)
    family = _str(doc, "family", "file")
    where = f"{family}"
    sources = {key: _source(key, raw, where) for key, raw in _table(doc, "sources", where).items()}
    required = tuple(_str_list(doc, "required_fields", where))
    unknown_fields = set(required) - set(CORE_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown_fields or not set(CORE_FIELDS) <= set(required):
        raise MethodologyError(f"{where}: required_fields must list every core field")
    raw_behaviours = doc.get("behaviour")
    if not isinstance(raw_behaviours, list) or not raw_behaviours:
        raise MethodologyError(f"{where}: needs at least one [[behaviour]]")
    behaviours = tuple(_behaviour(raw, family, sources, where) for raw in raw_behaviours)
    cap_day_g = _int(doc, "cap_day_g", where, minimum=0)
    cap_year_g = _int(doc, "cap_year_g", where, minimum=cap_day_g)
    return Methodology(
        family=family,
        version=_int(doc, "version", where, minimum=1),
        name=_str(doc, "name", where),
        name_zh=_str(doc, "name_zh", where),
        effective_from=date.fromisoformat(_str(doc, "effective_from", where)),
        cap_day_g=cap_day_g,
        cap_year_g=cap_year_g,
        cap_source=_cited(doc, "cap_source", sources, where),
        required_fields=required,
        behaviours=behaviours,
        sources=tuple(sources.values()),
    )


def _behaviour(
    raw: object, family: str, sources: Mapping[str, Source], where: str
) -> BehaviourType:
    if not isinstance(raw, dict):
        raise MethodologyError(f"{where}: [[behaviour]] must be a table")
    behaviour_id = _str(raw, "id", where)
    where = f"{where}.{behaviour_id}"
    base_unit = _str(raw, "base_unit", where)
    units = _units(raw, base_unit, where)
    rate_min, rate_max = _rate_bounds(raw, base_unit, where)
    baseline = _int(raw, "baseline_ug_per_unit", where, minimum=0)
    project = _int(raw, "project_ug_per_unit", where, minimum=0)
    if project > baseline:
        raise MethodologyError(f"{where}: project factor above baseline would credit negative")
    return BehaviourType(
        id=behaviour_id,
        family=family,
        description=_str(raw, "description", where),
        base_unit=base_unit,
        units=units,
        baseline_ug_per_unit=baseline,
        project_ug_per_unit=project,
        factor_source=_cited(raw, "factor_source", sources, where),
        max_quantity_per_event=_int(raw, "max_quantity_per_event", where, minimum=1),
        rate_min_per_h=rate_min,
        rate_max_per_h=rate_max,
        trip=_bool(raw, "trip", where),
    )


def _units(raw: Mapping[str, Any], base_unit: str, where: str) -> Mapping[str, int]:
    table = _table(raw, "units", where)
    units = {name: _int(table, name, where, minimum=1) for name in table}
    if units.get(base_unit) != 1:
        raise MethodologyError(f"{where}: units must map the base unit {base_unit!r} to 1")
    return MappingProxyType(units)


def _rate_bounds(
    raw: Mapping[str, Any], base_unit: str, where: str
) -> tuple[int | None, int | None]:
    """Speeds in km/h become metres per hour; other rates are already per hour."""
    has_speed = "speed_kmh_min" in raw or "speed_kmh_max" in raw
    if has_speed and base_unit != "m":
        raise MethodologyError(f"{where}: speed bounds need base_unit 'm'")
    if has_speed:
        low = _optional_int(raw, "speed_kmh_min", where)
        high = _optional_int(raw, "speed_kmh_max", where)
        return (
            None if low is None else low * _METRES_PER_KM,
            None if high is None else high * _METRES_PER_KM,
        )
    return _optional_int(raw, "rate_min_per_h", where), _optional_int(raw, "rate_max_per_h", where)


def _source(key: str, raw: object, where: str) -> Source:
    if not isinstance(raw, dict):
        raise MethodologyError(f"{where}: sources.{key} must be a table")
    inner = f"{where}.sources.{key}"
    return Source(
        key=key,
        figure=_str(raw, "figure", inner),
        publisher=_str(raw, "publisher", inner),
        assumption=_bool(raw, "assumption", inner),
        note=_str(raw, "note", inner),
    )


def _cited(raw: Mapping[str, Any], name: str, sources: Mapping[str, Source], where: str) -> Source:
    key = _str(raw, name, where)
    if key not in sources:
        raise MethodologyError(f"{where}: {name} cites undefined source {key!r}")
    return sources[key]


def _table(raw: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = raw.get(name)
    if not isinstance(value, dict):
        raise MethodologyError(f"{where}: {name} must be a table")
    return value


def _str(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value:
        raise MethodologyError(f"{where}: {name} must be a non-empty string")
    return value


def _str_list(raw: Mapping[str, Any], name: str, where: str) -> list[str]:
    value = raw.get(name)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MethodologyError(f"{where}: {name} must be a list of strings")
    return value


def _bool(raw: Mapping[str, Any], name: str, where: str) -> bool:
    value = raw.get(name)
    if not isinstance(value, bool):
        raise MethodologyError(f"{where}: {name} must be true or false")
    return value


def _int(raw: Mapping[str, Any], name: str, where: str, *, minimum: int) -> int:
    value = raw.get(name)
    # bool is an int subclass; a float would break exact integer sums.
    if not isinstance(value, int) or isinstance(value, bool):
        raise MethodologyError(f"{where}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise MethodologyError(f"{where}: {name} must be at least {minimum}")
    return value


def _optional_int(raw: Mapping[str, Any], name: str, where: str) -> int | None:
    if name not in raw:
        return None
    return _int(raw, name, where, minimum=0)
