from django import template

register = template.Library()


@register.filter
def as_words(code) -> str:
    """A vocabulary code in plain words: 'sit_bone' -> 'sit bone', True -> 'yes'."""
    if isinstance(code, bool):
        return "yes" if code else "no"
    if isinstance(code, list | tuple):
        return ", ".join(as_words(c) for c in code)
    return str(code).replace("_", " ")


@register.filter
def percent(probability) -> str:
    """A probability as a percentage that never claims certainty the model cannot have."""
    value = float(probability) * 100
    if value > 99:
        return ">99%"
    if 0 < value < 1:
        return "<1%"
    return f"{value:.0f}%"
