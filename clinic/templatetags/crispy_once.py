"""``{{ form.field|as_crispy_field_once }}``: crispy's field filter, rendered once per state
(``clinic.form_rendering``)."""

from django import template

from clinic.form_rendering import as_crispy_field_once

register = template.Library()
register.filter("as_crispy_field_once", as_crispy_field_once)
