"""Running distances in the clinic's unit: stored in km, asked for and shown in km or miles.

Plain Python (no Django): the one place that turns km into what a clinic reads. Knowledge texts
state distances in km ("1.6 km"); ``in_unit`` rewrites every such distance of a text for a miles
clinic, so no text is written twice.
"""

import re
from decimal import Decimal

KM = "km"
MILES = "mi"
KM_PER_MILE = 1.609344
# A distance as the knowledge and the engine write it: a number, a space, "km".
_KM_IN_TEXT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?) km\b")
# A rule of the differential's knowledge on a distance field: "weekly_distance_km >= 50".
_KM_RULE = re.compile(r"\b(\w+)_km (>=|<=|>|<|!=|=) (\d+(?:\.\d+)?)\b")


def unit_label(unit: str) -> str:
    """The unit as a form label says it: "km" or "miles"."""
    return "miles" if unit == MILES else "km"


def number(value: float) -> str:
    """One decimal at most, no trailing ".0": 1.0 -> "1", 1.49 -> "1.5"."""
    return f"{value:.1f}".removesuffix(".0")


def from_km(km: float | Decimal, unit: str) -> float:
    return float(km) / KM_PER_MILE if unit == MILES else float(km)


def to_km(value: float | Decimal, unit: str) -> Decimal:
    """A distance typed in ``unit`` as stored km (one decimal, as ``Plan.weekly_km`` keeps)."""
    km = Decimal(str(value)) * Decimal(str(KM_PER_MILE)) if unit == MILES else Decimal(str(value))
    return km.quantize(Decimal("0.1"))


def format_distance(km: float | Decimal, unit: str) -> str:
    """ "1.6 km", or "1 mile" / "2.5 miles" in a miles clinic."""
    amount = number(from_km(km, unit))
    if unit != MILES:
        return f"{amount} km"
    return f"{amount} mile" if amount == "1" else f"{amount} miles"


def in_unit(text: str, unit: str) -> str:
    """``text`` with every "N km" said in ``unit`` (unchanged for a km clinic)."""
    if unit != MILES or not text:
        return text
    return _KM_IN_TEXT.sub(lambda match: format_distance(float(match.group(1)), unit), text)


def rules_in_unit(text: str, unit: str) -> str:
    """``in_unit``, and every rule on a km field said in ``unit`` too: "weekly_distance_km >= 50"
    is "weekly_distance >= 31.1 miles" in a miles clinic (unchanged for a km clinic)."""
    if unit != MILES or not text:
        return text
    text = _KM_RULE.sub(lambda m: f"{m[1]} {m[2]} {format_distance(float(m[3]), unit)}", text)
    return in_unit(text, unit)
