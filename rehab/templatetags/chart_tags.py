"""Progress charts for templates: the plan page and the PDF load them the same way.

    {% load chart_tags %}
    {% plan_progress_charts plan as charts %}
    {% for chart in charts %}<img src="{{ chart.data_uri }}" alt="{{ chart.alt }}">{% endfor %}

``svg_data_uri`` turns any SVG text into a ``data:image/svg+xml;base64,...`` URI for an
``<img>`` (allowed by the CSP's ``img-src data:``; WeasyPrint renders it).
"""

from django import template

from rehab import charts
from rehab.chart_data import plan_chart_data

register = template.Library()


@register.simple_tag
def plan_progress_charts(plan) -> list[charts.Chart]:
    """Pain, outcome scores and exercise steps for the plan's patient (five queries)."""
    return charts.plan_charts(plan_chart_data(plan=plan))


@register.filter
def svg_data_uri(svg: str) -> str:
    return charts.svg_data_uri(svg)
