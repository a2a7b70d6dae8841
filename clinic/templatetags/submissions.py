from django import template

from clinic import submissions

register = template.Library()


@register.simple_tag
def submission_key_input() -> str:
    """``{% submission_key_input %}`` inside a create form: see ``clinic.submissions``."""
    return submissions.submission_key_input()
