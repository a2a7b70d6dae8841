"""Progress charts as SVG text: pain, outcome scores and ladder steps over time.

One code path for the web page and the PDF: these functions take plain data (dates and numbers,
from ``rehab/chart_data.py``) and return SVG text; ``svg_data_uri`` wraps it as a
``data:image/svg+xml;base64,...`` URI that a page or a WeasyPrint PDF embeds with
``<img src="..." alt="...">``. An ``<img>`` is the CSP-safe way: the page's Content Security
Policy forbids inline styles and allows ``img-src 'self' data:``, and an SVG shown as an image
runs no script and fetches nothing.

Library: pygal (3.x, LGPL-3.0+, maintained by Kozea, the WeasyPrint authors; 3.1.3 released
2026). It writes SVG natively with no plotting stack behind it (matplotlib would pull in
NumPy, Pillow and a font cache for a few line charts), has date axes, titles, axis titles and
per-series dash patterns, and can be made self-contained: ``js=[]`` drops its tooltip script
URL, its CSS is inlined into the SVG (no ``@import``, no Google fonts unless asked for), and an
XML filter below removes the one ``<script>`` element it always writes (its config JSON) and its
comments (which carry URLs). leather was the other candidate: smaller, but no legend or axis
titles and far less maintained.

Black and white: every series is drawn in black or dark grey and told apart by its dash pattern
and its marker (filled or hollow, small or large), never by colour alone. Pain axes are fixed at
0-10; outcome axes at the measure's range.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

import pygal
from pygal.style import Style

from rehab import outcomes

Point = tuple[dt.date, float]

WIDTH = 720
HEIGHT = 360
# (dash pattern, marker shape, hollow) per series, in order: legible when printed in grey.
SERIES_LOOK: tuple[tuple[str, str, bool], ...] = (
    ("", "circle", False),
    ("8,4", "square", True),
    ("2,4", "triangle", False),
    ("10,4,2,4", "diamond", True),
    ("4,4", "square", False),
)
INK = ("#000000", "#404040", "#000000", "#404040", "#202020")
MARKER_RADIUS = 5
LEGEND_BOX = 26
MAX_X_LABELS = 6

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#000000",
    foreground_strong="#000000",
    foreground_subtle="#707070",
    opacity="1",
    opacity_hover="1",
    transition="none",
    colors=INK,
    font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif",
    title_font_size=18,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    stroke_width=2,
    guide_stroke_color="#d9d9d9",
    major_guide_stroke_color="#bfbfbf",
    guide_stroke_dasharray="1,0",
    major_guide_stroke_dasharray="1,0",
)


@dataclass(frozen=True)
class Chart:
    """One drawn chart: what the template needs to embed it."""

    key: str
    title: str
    alt: str
    svg: str

    @property
    def data_uri(self) -> str:
        return svg_data_uri(self.svg)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _look(index: int) -> tuple[str, str, bool]:
    return SERIES_LOOK[index % len(SERIES_LOOK)]


def _marker(shape: str, x: float, y: float, r: float, *, hollow: bool, ink: str, cls: str):
    """An SVG element for one marker; the style attribute lives inside the image, not the page."""
    if shape == "circle":
        element = ET.Element("circle", cx=f"{x:.2f}", cy=f"{y:.2f}", r=f"{r:.2f}")
    elif shape == "square":
        side = r * 1.7
        element = ET.Element(
            "rect",
            x=f"{x - side / 2:.2f}",
            y=f"{y - side / 2:.2f}",
            width=f"{side:.2f}",
            height=f"{side:.2f}",
        )
    elif shape == "triangle":
        element = ET.Element(
            "path",
            d=f"M{x:.2f} {y - r * 1.1:.2f} L{x + r:.2f} {y + r * 0.8:.2f} "
            f"L{x - r:.2f} {y + r * 0.8:.2f} Z",
        )
    else:  # diamond
        element = ET.Element(
            "path",
            d=f"M{x:.2f} {y - r * 1.2:.2f} L{x + r * 1.2:.2f} {y:.2f} L{x:.2f} {y + r * 1.2:.2f} "
            f"L{x - r * 1.2:.2f} {y:.2f} Z",
        )
    fill = "#ffffff" if hollow else ink
    element.set("class", cls)
    element.set("style", f"fill:{fill};stroke:{ink};stroke-width:2;stroke-dasharray:none")
    return element


def _series_index(element) -> int | None:
    for name in [*(element.get("class") or "").split(), element.get("id") or ""]:
        for prefix in ("serie-", "activate-serie-"):
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                return int(name[len(prefix) :])
    return None


def _black_and_white(root):
    """pygal's XML filter: shapes and dash patterns per series, in the plot and the legend.

    pygal tells series apart by colour only, with circles for every series and colour swatches
    in the legend. This swaps each series' circles for its own marker (filled or hollow circle,
    square, triangle, diamond) and each legend swatch for a short line in the series' dash
    pattern with its marker.
    """
    for group in root.iter("g"):
        index = _series_index(group)
        if index is None:
            continue
        dash, shape, hollow = _look(index)
        ink = INK[index % len(INK)]
        for dots in group.iter("g"):
            for circle in [c for c in dots if c.tag == "circle"]:
                marker = _marker(
                    shape,
                    float(circle.get("cx")),
                    float(circle.get("cy")),
                    MARKER_RADIUS,
                    hollow=hollow,
                    ink=ink,
                    cls=circle.get("class", "dot"),
                )
                dots.insert(list(dots).index(circle), marker)
                dots.remove(circle)
        for swatch in [r for r in group if r.tag == "rect"]:  # legend entry
            x, y = float(swatch.get("x")), float(swatch.get("y"))
            w, h = float(swatch.get("width")), float(swatch.get("height"))
            line = ET.Element(
                "line",
                x1=f"{x:.2f}",
                y1=f"{y + h / 2:.2f}",
                x2=f"{x + w:.2f}",
                y2=f"{y + h / 2:.2f}",
            )
            line.set(
                "style",
                f"stroke:{ink};stroke-width:2;fill:none"
                + (f";stroke-dasharray:{dash}" if dash else ""),
            )
            position = list(group).index(swatch)
            group.remove(swatch)
            group.insert(position, line)
            group.insert(
                position + 1,
                _marker(
                    shape,
                    x + w / 2,
                    y + h / 2,
                    MARKER_RADIUS - 1,
                    hollow=hollow,
                    ink=ink,
                    cls="legend-marker",
                ),
            )
    return root


def _strip_active_content(root):
    """Drop <script> elements and comments: an image needs neither, and comments carry URLs."""
    for parent in list(root.iter()):
        for child in list(parent):
            tag = child.tag if isinstance(child.tag, str) else ""
            if child.tag is ET.Comment or tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(title: str, x_title: str, y_title: str, **config) -> pygal.DateLine:
    chart = pygal.DateLine(
        style=STYLE,
        js=[],
        width=WIDTH,
        height=HEIGHT,
        title=title,
        x_title=x_title,
        y_title=y_title,
        show_legend=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        dots_size=MARKER_RADIUS,
        legend_box_size=LEGEND_BOX,
        x_label_rotation=0,
        x_value_formatter=lambda day: f"{day.day} {day:%b %Y}",
        truncate_label=-1,
        truncate_legend=-1,
        margin_right=36,
        disable_xml_declaration=True,
        **config,
    )
    chart.add_xml_filter(_black_and_white)
    chart.add_xml_filter(_strip_active_content)
    return chart


def _add(chart, index: int, label: str, points: Sequence[Point]) -> None:
    dash, _, _ = _look(index)
    style = {"width": 2}
    if dash:
        style["dasharray"] = dash
    chart.add(label, [(_as_datetime(day), value) for day, value in points], stroke_style=style)


def _as_datetime(day: dt.date) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day
    return dt.datetime(day.year, day.month, day.day)


def _date_axis(series: Mapping[str, Sequence[Point]]) -> dict:
    """x range and labels at midnight: every data date when few, else six spread evenly."""
    days = sorted({_as_date(day) for points in series.values() for day, _ in points})
    if not days:
        return {}
    first, last = days[0], days[-1]
    if first == last:  # one day: widen so the axis has a span
        first, last = first - dt.timedelta(days=1), last + dt.timedelta(days=1)
    if len(days) <= MAX_X_LABELS:
        labels = days
    else:
        span = (last - first).days
        labels = sorted(
            {
                first + dt.timedelta(days=round(span * i / (MAX_X_LABELS - 1)))
                for i in range(MAX_X_LABELS)
            }
        )
    return {
        "xrange": (_as_datetime(first), _as_datetime(last)),
        "x_labels": [_as_datetime(day) for day in labels],
    }


def _as_date(day: dt.date) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


def _render(chart) -> str:
    """pygal names each chart with a random uuid; a content hash instead keeps the SVG, and so a
    re-rendered PDF, byte-for-byte the same for the same data."""
    svg = chart.render(is_unicode=True)
    found = re.search(r'id="(chart-[0-9a-f-]{36})"', svg)
    if found is None:
        return svg
    random_id = found.group(1)
    digest = hashlib.sha256(svg.replace(random_id, "chart").encode()).hexdigest()[:16]
    return svg.replace(random_id, f"chart-{digest}")


# Drawn charts kept per process (a plan page redraws the same data on every visit; pygal took
# about a third of the page's time). Bounded: each SVG is a few tens of kilobytes.
MAX_DRAWN = 128


def _drawn_once(draw: Callable[..., str]) -> Callable[..., str]:
    """``draw`` remembered by its arguments' repr (dates, numbers and texts: exact); the SVG is
    the same for the same data (``_render`` names it by a content hash)."""
    drawn: dict[str, str] = {}
    lock = Lock()

    @functools.wraps(draw)
    def remembered(*args: Any, **kwargs: Any) -> str:
        key = repr((args, sorted(kwargs.items())))
        svg = drawn.get(key)
        if svg is None:
            svg = draw(*args, **kwargs)
            with lock:
                if drawn and len(drawn) >= MAX_DRAWN:
                    drawn.pop(next(iter(drawn)))  # the oldest
                drawn[key] = svg
        return svg

    return remembered


@_drawn_once
def pain_chart_svg(series: Mapping[str, Sequence[Point]], *, title: str = "Pain over time") -> str:
    """Pain ratings (0-10, lower is better) per named series; the axis is always 0 to 10."""
    chart = _chart(
        title,
        "Date",
        "Pain (0-10)",
        range=(0, 10),
        y_labels=list(range(11)),
        **_date_axis(series),
    )
    for index, (label, points) in enumerate(series.items()):
        _add(chart, index, label, points)
    return _render(chart)


@_drawn_once
def outcome_chart_svg(
    measure_code: str, points: Sequence[Point], *, reported: Sequence[Point] = ()
) -> str:
    """One measure's total over time, on the measure's full range, with its direction."""
    definition = outcomes.measure(measure_code)
    better = "higher" if definition.higher_is_better else "lower"
    span = definition.maximum - definition.minimum
    step = 10 if span > 20 else 1
    chart = _chart(
        f"{definition.short_name} over time",
        "Date",
        f"Score ({better} is better)",
        range=(definition.minimum, definition.maximum),
        y_labels=list(range(definition.minimum, definition.maximum + 1, step)),
        **_date_axis({measure_code: points}),
    )
    _add(chart, 0, definition.short_name, points)
    if reported:
        _add(chart, 1, f"{definition.short_name} (patient-reported)", reported)
    return _render(chart)


@_drawn_once
def step_progression_chart_svg(series: Mapping[str, Sequence[Point]], *, max_position: int) -> str:
    """Each exercise's step on its ladder over time (1 = easiest), drawn as steps."""
    top = max(max_position, 1)
    chart = _chart(
        "Exercise load progression",
        "Date",
        "Step (1 = easiest)",
        range=(1, top),
        y_labels=list(range(1, top + 1)),
        **_date_axis(series),
    )
    for index, (label, points) in enumerate(series.items()):
        _add(chart, index, label, points)
    return _render(chart)


def describe(series: Mapping[str, Sequence[Point]], *, unit: str = "") -> str:
    """A text version of the data for the image's alt text."""
    parts = []
    for label, points in series.items():
        values = ", ".join(f"{value:g}{unit} on {day.day} {day:%b %Y}" for day, value in points)
        parts.append(f"{label}: {values}")
    return "; ".join(parts) + "." if parts else "No data yet."


def _dedupe_steps(points: Sequence[Point]) -> list[Point]:
    """For alt text: one entry per change of step, not the drawing's corner points."""
    kept: list[Point] = []
    for day, value in points:
        if not kept or kept[-1][1] != value:
            kept.append((day, value))
    return kept


def plan_charts(data) -> list[Chart]:
    """The plan page's and the PDF's charts from ``chart_data.PlanChartData``; empty ones left
    out."""
    charts = []
    if data.pain:
        charts.append(
            Chart(
                key="pain",
                title="Pain over time",
                alt="Pain over time (0-10). " + describe(data.pain, unit="/10"),
                svg=pain_chart_svg(data.pain),
            )
        )
    for code, points in data.outcomes.items():
        charts.append(
            outcome_chart(
                code,
                points,
                reported=data.reported.get(code, ()),
                change=data.changes.get(code),
            )
        )
    if data.steps:
        readable = {label: _dedupe_steps(points) for label, points in data.steps.items()}
        charts.append(
            Chart(
                key="steps",
                title="Exercise load progression",
                alt="Step on each exercise ladder over time (1 = easiest). "
                + describe(readable, unit=""),
                svg=step_progression_chart_svg(data.steps, max_position=data.step_max),
            )
        )
    return charts


def outcome_chart(
    measure_code: str,
    points: Sequence[Point],
    *,
    reported: Sequence[Point] = (),
    change: outcomes.Change | None = None,
) -> Chart:
    """One measure's chart; the runner's own scores drawn again as a "patient-reported" series,
    and the latest change with its minimal-important-change verdict in the text version."""
    definition = outcomes.measure(measure_code)
    series = {definition.short_name: points}
    if reported:
        series[f"{definition.short_name} (patient-reported)"] = reported
    latest = f" Latest change {change.signed}: {change.explanation}" if change else ""
    return Chart(
        key=measure_code,
        title=f"{definition.short_name} over time",
        alt=f"{definition.short_name} over time ({definition.minimum}-{definition.maximum}, "
        f"{'higher' if definition.higher_is_better else 'lower'} is better). "
        + describe(series, unit=f"/{definition.maximum}")
        + latest,
        svg=outcome_chart_svg(measure_code, points, reported=reported),
    )
