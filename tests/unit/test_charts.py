"""The SVG charts (rehab.charts): well-formed, self-contained, legible in black and white."""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from rehab import charts

SVG = "{http://www.w3.org/2000/svg}"
D = dt.date
PAIN = {
    "Exercise pain (sessions)": [(D(2026, 11, 2), 4), (D(2026, 11, 9), 3), (D(2026, 11, 16), 1)],
    "Running pain (sessions)": [(D(2026, 11, 9), 6), (D(2026, 11, 16), 2)],
    "Pain at rest (measured)": [(D(2026, 11, 3), 2)],
}
STEPS = {
    "Bridge": [
        (D(2026, 11, 1), 1),
        (D(2026, 11, 10), 1),
        (D(2026, 11, 10), 2),
        (D(2026, 11, 30), 2),
    ],
    "Running": [(D(2026, 11, 1), 1), (D(2026, 11, 30), 1)],
}


def all_charts() -> dict[str, str]:
    return {
        "pain": charts.pain_chart_svg(PAIN),
        "lefs": charts.outcome_chart_svg("lefs", [(D(2026, 11, 1), 41), (D(2026, 12, 1), 55)]),
        "visa_h": charts.outcome_chart_svg("visa_h", [(D(2026, 11, 1), 38)]),
        "steps": charts.step_progression_chart_svg(STEPS, max_position=7),
    }


@pytest.fixture(scope="module")
def svgs() -> dict[str, str]:
    return all_charts()


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own generated SVG, not untrusted input


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter() if t.tag in (f"{SVG}text", f"{SVG}desc")]


@pytest.mark.parametrize("name", ["pain", "lefs", "visa_h", "steps"])
def test_every_chart_is_well_formed_svg(svgs, name):
    root = parse(svgs[name])
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"


@pytest.mark.parametrize("name", ["pain", "lefs", "visa_h", "steps"])
def test_no_script_and_no_external_reference(svgs, name):
    svg = svgs[name]
    root = parse(svg)
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    assert "<script" not in svg.lower()
    assert "@import" not in svg
    for element in root.iter():
        for attribute, value in element.attrib.items():
            if attribute.endswith("href") or attribute == "src":
                assert not value.startswith(("http:", "https:", "//")), (attribute, value)
    # Only the SVG namespace declaration mentions a URL; no comments carrying links.
    assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert "<!--" not in svg


@pytest.mark.parametrize(
    ("name", "title", "x_title", "y_title"),
    [
        ("pain", "Pain over time", "Date", "Pain (0-10)"),
        ("lefs", "LEFS over time", "Date", "Score (higher is better)"),
        ("steps", "Exercise load progression", "Date", "Step (1 = easiest)"),
    ],
)
def test_charts_have_a_title_and_axis_labels(svgs, name, title, x_title, y_title):
    found = " ".join(texts(parse(svgs[name])))
    assert title in found
    assert x_title in found
    # pygal wraps a long y title over two text lines.
    assert y_title.replace(" ", "") in found.replace(" ", "")


def test_pain_chart_contains_every_data_point(svgs):
    values = [t for t in texts(parse(svgs["pain"])) if re.match(r"\d+ \w+ \d{4}: ", t)]
    assert sorted(values) == sorted(
        [
            "2 Nov 2026: 4",
            "9 Nov 2026: 3",
            "16 Nov 2026: 1",
            "9 Nov 2026: 6",
            "16 Nov 2026: 2",
            "3 Nov 2026: 2",
        ]
    )


def test_pain_axis_is_fixed_0_to_10_even_when_the_pain_is_low():
    svg = charts.pain_chart_svg({"Exercise pain": [(D(2026, 11, 2), 1), (D(2026, 11, 9), 2)]})
    root = parse(svg)
    y_axis = next(g for g in root.iter(f"{SVG}g") if "axis y" in (g.get("class") or ""))
    labels = [t.text for t in y_axis.iter(f"{SVG}text")]
    assert labels == [str(n) for n in range(11)]


def test_outcome_axis_spans_the_measure_range(svgs):
    root = parse(svgs["lefs"])
    y_axis = next(g for g in root.iter(f"{SVG}g") if "axis y" in (g.get("class") or ""))
    labels = [t.text for t in y_axis.iter(f"{SVG}text")]
    assert labels[0] == "0" and labels[-1] == "80"
    assert "41" in " ".join(texts(root)) and "55" in " ".join(texts(root))


def test_series_differ_by_marker_shape_and_dash_not_only_colour(svgs):
    root = parse(svgs["pain"])
    looks = []
    for index in range(len(PAIN)):
        group = next(
            g
            for g in root.iter(f"{SVG}g")
            if f"serie-{index}" in (g.get("class") or "").split()
            and list(g.iter(f"{SVG}g"))[1:]  # the overlay group holding the markers
        )
        markers = [
            e
            for e in group.iter()
            if "dot" in (e.get("class") or "").split() and e.tag != f"{SVG}g"
        ]
        assert markers, index
        looks.append((markers[0].tag, "fill:#ffffff" in markers[0].get("style", "")))
    assert len(set(looks)) == len(PAIN)
    css = next(root.iter(f"{SVG}style")).text
    assert "serie-1{stroke-width:2;stroke-dasharray:8,4}" in css
    assert "serie-2{stroke-width:2;stroke-dasharray:2,4}" in css


def test_legend_shows_each_series_dash_and_marker(svgs):
    root = parse(svgs["pain"])
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legends")
    entries = [g for g in legend if g.tag == f"{SVG}g"]
    assert len(entries) == len(PAIN)
    swatches = [
        r for e in entries for r in e if r.tag == f"{SVG}rect" and r.get("class") != "legend-marker"
    ]
    assert not swatches  # pygal's colour-only swatches are replaced
    lines = [next(e.iter(f"{SVG}line")).get("style") for e in entries]
    assert "dasharray" not in lines[0]
    assert "stroke-dasharray:8,4" in lines[1]


def test_step_chart_draws_steps_with_ladder_positions(svgs):
    found = texts(parse(svgs["steps"]))
    assert "10 Nov 2026: 1" in found and "10 Nov 2026: 2" in found
    root = parse(svgs["steps"])
    y_axis = next(g for g in root.iter(f"{SVG}g") if "axis y" in (g.get("class") or ""))
    assert [t.text for t in y_axis.iter(f"{SVG}text")] == [str(n) for n in range(1, 8)]


def test_a_single_measurement_still_draws():
    root = parse(charts.outcome_chart_svg("visa_h", [(D(2026, 11, 1), 38)]))
    assert "1 Nov 2026: 38" in texts(root)


def test_data_uri_round_trips_the_svg(svgs):
    uri = charts.svg_data_uri(svgs["pain"])
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svgs["pain"]


def test_alt_text_lists_the_data_in_words():
    alt = charts.describe({"Exercise pain": [(D(2026, 11, 2), 4)]}, unit="/10")
    assert alt == "Exercise pain: 4/10 on 2 Nov 2026."
    assert charts.describe({}) == "No data yet."
