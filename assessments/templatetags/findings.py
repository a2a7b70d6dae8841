from django import template

register = template.Library()


@register.filter
def as_words(code) -> str:
    """A vocabulary code in plain words: 'sit_bone' -> 'sit bone'."""
    if isinstance(code, list | tuple):
        return ", ".join(str(c).replace("_", " ") for c in code)
    return str(code).replace("_", " ")
