"""The drawing script: deterministic, black and white, and the committed SVGs are its output."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "rehab/static/rehab/illustrations"
LADDERS = tomllib.loads((ROOT / "rehab/knowledge/ladders.toml").read_text())["ladder"]
STEPS = [
    (step["code"], step["name"], step["purpose"]) for ladder in LADDERS for step in ladder["step"]
]
LADDER_OF = {step["code"]: ladder["code"] for ladder in LADDERS for step in ladder["step"]}
# Only ink, paper and one mid grey: the drawings read the same on a black-and-white printer.
ALLOWED = {"#000", "#fff", "#8a8a8a", "none"}


def load_script():
    spec = importlib.util.spec_from_file_location("draw", ROOT / "scripts/draw_illustrations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("code", "name", "purpose"), STEPS, ids=[s[0] for s in STEPS])
def test_committed_svg_is_the_scripts_output_and_black_and_white(code, name, purpose):
    draw = load_script()
    args = (code, draw.html.escape(name), draw.html.escape(purpose), LADDER_OF[code])
    svg = draw.make(*args)
    assert svg == draw.make(*args)
    assert (OUT / f"{code}.svg").read_text(encoding="utf-8") == svg, "run `make illustrations`"
    colours = set(re.findall(r'(?:stroke|fill)="([^"]*)"', svg))
    assert colours <= ALLOWED, colours - ALLOWED


@pytest.mark.parametrize("code", [s[0] for s in STEPS])
def test_every_drawing_has_a_start_and_an_end_panel_and_an_arrow(code):
    """Two panels side by side; the end one has the arrow along the moving part."""
    svg = (OUT / f"{code}.svg").read_text(encoding="utf-8")
    assert 'viewBox="0 0 420 160"' in svg
    start, end = svg.split('class="panel panel-end"')
    assert 'class="panel panel-start"' in start and "motion-arrow" not in start
    assert "motion-arrow-head" in end and 'class="motion-arrow"' in end
    assert re.search(r">1 [A-Z]", start) and re.search(r">2 [A-Z]", end)  # the panel labels


@pytest.mark.parametrize("code", [s[0] for s in STEPS])
def test_the_moving_part_is_bold_black_and_every_line_prints(code):
    """Something moves (solid ink, bold), the resting limbs are grey outlines, and no stroke is
    thinner than a cheap printer draws (about 0.3 mm at the card's width)."""
    svg = (OUT / f"{code}.svg").read_text(encoding="utf-8")
    widths = [float(w) for w in re.findall(r'stroke-width="([0-9.]+)"', svg)]
    assert min(widths) >= 1, code
    draw = load_script()
    bold = rf'stroke="(#000|{draw.FAR})" stroke-width="{draw.MOVING}"'
    assert re.search(bold, svg), code  # a moving limb
    assert "stroke-dasharray" in svg.split("panel-end")[1], code  # where it started


def test_a_new_step_in_a_ladder_is_drawn_with_its_ladders_figure():
    draw = load_script()
    svg = draw.make("bridge_new_variant", "New bridge", "A bridge.", "bridge")
    assert "panel-start" in svg and "motion-arrow-head" in svg


def test_a_step_of_an_unknown_ladder_stops_the_script_naming_it():
    draw = load_script()
    with pytest.raises(SystemExit, match="nerve_floss_new"):
        draw.make("nerve_floss_new", "Floss", "A nerve floss.", "nerve_floss")


def test_start_and_end_are_compared_so_a_still_figure_has_nothing_bold():
    """The comparison is real: the same pose twice gives no moving limb."""
    draw = load_script()
    still = draw.Svg()
    draw.bridge(still, 0.0, **draw.FLAT)
    again = draw.Svg()
    draw.bridge(again, 0.0, **draw.FLAT)
    transform, k = draw.fit((still, again))
    body = "\n".join(draw.render_panel(again, still, transform, k, end=True))
    assert f'stroke-width="{draw.MOVING}"' not in body
    assert f'stroke-width="{draw.RESTING}"' in body
