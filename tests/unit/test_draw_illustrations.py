"""The drawing script: deterministic, black and white, and the committed SVGs are its output."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "rehab/static/rehab/illustrations"
STEPS = [
    (step["code"], step["name"], step["purpose"])
    for ladder in tomllib.loads((ROOT / "rehab/knowledge/ladders.toml").read_text())["ladder"]
    for step in ladder["step"]
]
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
    svg = draw.make(code, draw.html.escape(name), draw.html.escape(purpose))
    assert svg == draw.make(code, draw.html.escape(name), draw.html.escape(purpose))
    assert (OUT / f"{code}.svg").read_text(encoding="utf-8") == svg, "run `make illustrations`"
    colours = set(re.findall(r'(?:stroke|fill)="([^"]*)"', svg))
    assert colours <= ALLOWED, colours - ALLOWED


def test_moving_exercises_show_the_start_pose_and_an_arrow():
    """A dashed start pose and an arrow on the moving part, wherever the drawing has one."""
    moving = ("bridge_double", "hip_thrust", "rdl", "askling_glider")
    with_ghost = [code for code, _, _ in STEPS if code.startswith(moving)]
    assert with_ghost
    for code in with_ghost:
        svg = (OUT / f"{code}.svg").read_text(encoding="utf-8")
        assert "stroke-dasharray" in svg, code  # the start position
        assert "<polygon" in svg, code  # the arrow head on the moving part
