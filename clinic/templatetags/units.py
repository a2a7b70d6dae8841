from django import template

from clinic import units

register = template.Library()


@register.filter
def distance(km, unit: str) -> str:
    """``{{ plan.weekly_km|distance:clinic.distance_unit }}``: "32 km" or "20 miles"."""
    return "" if km is None else units.format_distance(km, unit)


@register.filter
def in_unit(text: str, unit: str) -> str:
    """``{{ text|in_unit:clinic.distance_unit }}``: every "N km" of a text in the clinic's unit."""
    return units.in_unit(text, unit)


@register.filter
def rules_in_unit(text: str, unit: str) -> str:
    """``{{ cell|rules_in_unit:unit }}``: the knowledge's rules on distances in the unit too."""
    return units.rules_in_unit(text, unit)


@register.filter
def unit_label(unit: str) -> str:
    return units.unit_label(unit)
