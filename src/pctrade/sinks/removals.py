"""The removal model: expected grams CO2e removed per hectare per year, by stand age.

The model is data (``data/removal_models.toml``), versioned and cited, with every figure
we could not confirm marked ``assumption = true``. It serves two purposes: a monitoring
report whose measured removals exceed ``plausibility_pct`` of what the model expects
for the project's area and period is refused as implausible, and a sponsor's view can
show the expected removal behind their units before any is verified.

Integer arithmetic throughout: an expectation is rounded down (never overstated).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pctrade.kernel.errors import ValidationError
from pctrade.sinks.project import M2_PER_HA

DAYS_PER_YEAR = 365


@dataclass(frozen=True, slots=True)
class Band:
    age_from_y: int
    age_to_y: int
    removal_g_per_ha_y: int
    assumption: bool


@dataclass(frozen=True, slots=True)
class RemovalModels:
    version: str
    methodology: str
    plausibility_pct: int
    bands: dict[str, tuple[Band, ...]]

    @property
    def forest_types(self) -> frozenset[str]:
        return frozenset(self.bands)

    def rate_g_per_ha_y(self, forest_type: str, age_y: int) -> int:
        for band in self.bands[forest_type]:
            if band.age_from_y <= age_y < band.age_to_y:
                return band.removal_g_per_ha_y
        raise ValidationError(
            f"the {forest_type} model has no band for stand age {age_y}", code="no_model_band"
        )


def parse_models(raw: dict[str, Any]) -> RemovalModels:
    """Build the models from parsed TOML, checking the bands tile the ages without gaps."""
    bands: dict[str, tuple[Band, ...]] = {}
    for model in raw["model"]:
        rows = tuple(Band(**b) for b in model["bands"])
        _check_bands(model["forest_type"], rows)
        bands[model["forest_type"]] = rows
    return RemovalModels(
        str(raw["version"]), str(raw["methodology"]), int(raw["plausibility_pct"]), bands
    )


def _check_bands(forest_type: str, rows: tuple[Band, ...]) -> None:
    expected_from = 0
    for band in rows:
        if band.age_from_y != expected_from or band.age_to_y <= band.age_from_y:
            raise ValidationError(f"{forest_type}: bands must tile ages from 0", code="bad_model")
        if not isinstance(band.removal_g_per_ha_y, int) or band.removal_g_per_ha_y < 0:
            raise ValidationError(f"{forest_type}: rates are whole grams", code="bad_model")
        expected_from = band.age_to_y


@cache
def removal_models() -> RemovalModels:
    text = (resources.files("pctrade.sinks") / "data" / "removal_models.toml").read_text(
        encoding="utf-8"
    )
    return parse_models(tomllib.loads(text))


def expected_removal_g(
    models: RemovalModels, forest_type: str, area_m2: int, age_y: int, days: int
) -> int:
    """Expected removal over ``days`` at stand age ``age_y``, rounded down."""
    rate = models.rate_g_per_ha_y(forest_type, age_y)
    return rate * area_m2 * days // (M2_PER_HA * DAYS_PER_YEAR)


def check_plausible(measured_g: int, expected_g: int, plausibility_pct: int) -> None:
    """Refuse a report claiming far more than the model allows (a typo, or worse)."""
    if measured_g * 100 > expected_g * plausibility_pct:
        raise ValidationError(
            f"measured removals {measured_g} g exceed {plausibility_pct}% of the model's "
            f"expectation {expected_g} g",
            code="removals_implausible",
        )
