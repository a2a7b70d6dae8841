"""Draw every ladder step as two panels, start | end, black on white (420x160 SVG).

    .venv/bin/python scripts/draw_illustrations.py            # every step in ladders.toml
    .venv/bin/python scripts/draw_illustrations.py rdl_heavy  # only these codes

Each figure is one pose function ``figure(s, t)``: t = 0 is the start position, t = 1 the end.
The script draws both and compares them, so what moves is found, not hand-marked: a body part
that moves is solid black (grey on the far side) in both panels, a resting one is a hollow grey
outline, the end panel keeps a dashed grey trace of where the moving part started, and an arrow
follows the moving part's path (sampled between the two poses). Everything reads without
colour, with lines thick enough for a cheap printer.

A new step in an existing ladder is drawn by its ladder's figure until it gets its own
(``FIGURES`` by step code, else ``LADDER_FIGURES`` by ladder code); a new ladder needs a pose
function registered in one of the two, or the script stops and names the step.
"""

from __future__ import annotations

import html
import itertools
import math
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "rehab"
OUT = ROOT / "static/rehab/illustrations"

FLOOR = 140
THIGH, SHIN, TORSO, UPPER_ARM, FOREARM = 38, 36, 48, 25, 24
BODY = 7  # limb stroke width, in drawing units (before the panel's scale)
MOVING = 8.5  # a moving limb, in panel units: solid and bold
RESTING = 7.5  # a resting limb, in panel units: a hollow outline of this width
OUTLINE = 2  # the outline's ink on each side of a resting limb
FAR = "#8a8a8a"  # the far side, and every outline: mid grey, prints in black and white
INK = "#000"
PANEL_W, HEIGHT = 210, 160  # two panels side by side
TOP, GROUND = 26, 150  # the figure sits between the panel's label and its ground line
MOVED = 2.0  # drawing units a point must move to count as moving


def ik(a, c, l1, l2, bend):
    """Joint between a and c for segment lengths l1, l2; bend=+1/-1 picks the side."""
    dx, dy = c[0] - a[0], c[1] - a[1]
    d = math.hypot(dx, dy)
    d = min(d, l1 + l2 - 0.01)
    cos_a = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d)
    cos_a = max(-1.0, min(1.0, cos_a))
    ang = math.atan2(dy, dx) + bend * math.acos(cos_a)
    return (a[0] + l1 * math.cos(ang), a[1] + l1 * math.sin(ang))


def along(p, angle_deg, length):
    """Point at `length` from p; angle 0 = right, 90 = up (screen y grows down)."""
    r = math.radians(angle_deg)
    return (p[0] + length * math.cos(r), p[1] - length * math.sin(r))


def toward(p, q, length):
    d = math.hypot(q[0] - p[0], q[1] - p[1])
    return (p[0] + (q[0] - p[0]) * length / d, p[1] + (q[1] - p[1]) * length / d)


def lerp(a, b, t):
    return a + (b - a) * t


def lerp_p(p, q, t):
    return (lerp(p[0], q[0], t), lerp(p[1], q[1], t))


def f(v):
    return f"{v:.1f}".rstrip("0").rstrip(".")


def pts(*ps):
    return " ".join(f"{f(x)},{f(y)}" for x, y in ps)


class Svg:
    """One pose's primitives in drawing coordinates, by layer (back to front).

    ``back``, ``mid`` and ``front`` must hold the same primitives in the same order for every
    t: they are compared between the poses. ``note`` (labels, the hold stopwatch, speed marks)
    is drawn only in the panel whose pose added it and never compared.
    """

    def __init__(self):
        self.back: list = []  # far limbs, props behind
        self.mid: list = []
        self.front: list = []
        self.note: list = []
        self.ground: tuple | None = None
        self.motion: tuple | None = None  # (p0, control, p1): the arrow, when drawn by hand
        self.track: tuple | None = None  # the point whose path the arrow follows
        self.labels = ("START", "END")

    def layers(self):
        return (self.back, self.mid, self.front)

    def line(self, layer, *ps, color=INK, width=BODY, dash=None, cap="round"):
        layer.append(("line", ps, {"color": color, "width": width, "dash": dash, "cap": cap}))

    def circle(self, layer, c, r, fill="#fff", color=INK, width=4, dash=None, head=False):
        layer.append(
            (
                "circle",
                (c,),
                {"r": r, "fill": fill, "color": color, "width": width, "dash": dash, "head": head},
            )
        )

    def rect(self, layer, x, y, w, h, fill="#fff", color=INK, width=3, rx=0):
        layer.append(
            (
                "rect",
                ((x, y), (x + w, y + h)),
                {"fill": fill, "color": color, "width": width, "rx": rx},
            )
        )

    def text(self, layer, x, y, s, size=12, anchor="middle", weight="bold"):
        """On ``note``: x, y in the panel (0-210, 0-160), not in drawing units."""
        layer.append(
            ("text", ((x, y),), {"s": s, "size": size, "anchor": anchor, "weight": weight})
        )

    def path_q(self, layer, p0, c, p1, color=INK, width=3):
        layer.append(("pathq", (p0, c, p1), {"color": color, "width": width}))

    def polygon(self, layer, *ps, color=INK):
        layer.append(("polygon", ps, {"color": color}))


def is_limb(item) -> bool:
    kind, _ps, kw = item
    return kind == "line" and kw["width"] == BODY and kw["dash"] is None


def moved(p, q) -> bool:
    return math.hypot(p[0] - q[0], p[1] - q[1]) > MOVED


# --- two panels -------------------------------------------------------------------------------


def fit(poses):
    """One transform for both panels (drawing units -> panel units), so the figure does not
    jump between them: the union of the poses fills the panel, standing on its ground."""
    xs, ys = [], []
    for pose in poses:
        for kind, ps, kw in [item for layer in pose.layers() for item in layer]:
            r = kw.get("r", 0) if kind == "circle" else 0
            for x, y in ps:
                xs += [x - r, x + r]
                ys += [y - r, y + r]
    ground = poses[-1].ground
    gy = FLOOR if ground is None else max(ground[0][1], ground[1][1])
    x0, x1, y0 = min(xs), max(xs), min(ys)
    k = min((PANEL_W - 16) / (x1 - x0), (GROUND - TOP) / (gy - y0), 1.6)
    cx = (x0 + x1) / 2

    def transform(p):
        return (PANEL_W / 2 + (p[0] - cx) * k, GROUND - (gy - p[1]) * k)

    return transform, k


def segments(ps):
    return list(itertools.pairwise(ps))


def render_panel(pose, other, transform, k, *, end: bool) -> list[str]:
    """One pose: resting limbs hollow, moving limbs solid, props as drawn; the end panel adds
    the start's moving parts as a dashed trace."""
    out = []
    if pose.ground is not None:
        a, b = transform(pose.ground[0]), transform(pose.ground[1])
        slope = (b[1] - a[1]) / (b[0] - a[0])
        g0, g1 = (4, a[1] + (4 - a[0]) * slope), (PANEL_W - 4, a[1] + (PANEL_W - 4 - a[0]) * slope)
        out.append(
            f'<line x1="{f(g0[0])}" y1="{f(g0[1])}" x2="{f(g1[0])}" y2="{f(g1[1])}" '
            'stroke="#000" stroke-width="3"/>'
        )
    if end:  # where the moving parts started: dashed grey, behind everything
        for layer, old in zip(pose.layers(), other.layers(), strict=True):
            for item, before in zip(layer, old, strict=True):
                if not is_limb(item):
                    continue
                for (p, q), (p0, q0) in zip(segments(item[1]), segments(before[1]), strict=True):
                    if moved(p, p0) or moved(q, q0):
                        out.append(polyline((transform(p0), transform(q0)), FAR, 3, dash="5 4"))
    for layer, old in zip(pose.layers(), other.layers(), strict=True):
        rest_outer, rest_inner, moving = [], [], []
        for item, before in zip(layer, old, strict=True):
            kind, ps, kw = item
            if is_limb(item):
                far = kw["color"] == FAR
                for (p, q), (p0, q0) in zip(segments(ps), segments(before[1]), strict=True):
                    tp = (transform(p), transform(q))
                    if moved(p, p0) or moved(q, q0):
                        moving.append(polyline(tp, FAR if far else INK, MOVING))
                    else:
                        rest_outer.append(polyline(tp, FAR, RESTING))
                        rest_inner.append(polyline(tp, "#fff", RESTING - 2 * OUTLINE))
            elif kind == "circle" and kw["head"]:
                c = transform(ps[0])
                still = not moved(ps[0], before[1][0])
                colour, width = (FAR, 3) if still else (INK, 4.5)
                moving.append(
                    f'<circle cx="{f(c[0])}" cy="{f(c[1])}" r="{f(kw["r"] * k)}" fill="#fff" '
                    f'stroke="{colour}" stroke-width="{width}"/>'
                )
            else:
                moving.append(primitive(kind, [transform(p) for p in ps], kw, k))
        out += rest_outer + rest_inner + moving
    for kind, ps, kw in pose.note:  # words and the stopwatch: placed in the panel, full size
        if kind == "line":
            out.append(primitive(kind, [transform(p) for p in ps], kw, k))
        else:
            out.append(primitive(kind, list(ps), kw, 1))
    return out


def polyline(ps, colour, width, dash=None):
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<polyline points="{pts(*ps)}" fill="none" stroke="{colour}" stroke-width="{f(width)}" '
        f'stroke-linecap="round" stroke-linejoin="round"{dashed}/>'
    )


def primitive(kind, tp, kw, k) -> str:
    if kind == "line":
        dash = f' stroke-dasharray="{kw["dash"]}"' if kw["dash"] else ""
        return (
            f'<polyline points="{pts(*tp)}" fill="none" stroke="{kw["color"]}" '
            f'stroke-width="{f(max(kw["width"], 2))}" stroke-linecap="{kw["cap"]}" '
            f'stroke-linejoin="round"{dash}/>'
        )
    if kind == "circle":
        return (
            f'<circle cx="{f(tp[0][0])}" cy="{f(tp[0][1])}" r="{f(kw["r"] * k)}" '
            f'fill="{kw["fill"]}" stroke="{kw["color"]}" stroke-width="{kw["width"]}"/>'
        )
    if kind == "rect":
        (x0, y0), (x1, y1) = tp
        return (
            f'<rect x="{f(x0)}" y="{f(y0)}" width="{f(x1 - x0)}" height="{f(y1 - y0)}" '
            f'rx="{f(kw["rx"])}" fill="{kw["fill"]}" stroke="{kw["color"]}" '
            f'stroke-width="{kw["width"]}"/>'
        )
    if kind == "text":
        x, y = tp[0]
        return (
            f'<text x="{f(x)}" y="{f(y)}" font-family="DejaVu Sans, Helvetica, Arial, '
            f'sans-serif" font-size="{kw["size"]}" font-weight="{kw["weight"]}" '
            f'text-anchor="{kw["anchor"]}" fill="#000">{kw["s"]}</text>'
        )
    if kind == "pathq":
        p0, c, p1 = tp
        return (
            f'<path d="M{f(p0[0])},{f(p0[1])} Q{f(c[0])},{f(c[1])} {f(p1[0])},{f(p1[1])}" '
            f'fill="none" stroke="{kw["color"]}" stroke-width="{kw["width"]}" '
            'stroke-linecap="round"/>'
        )
    return f'<polygon points="{pts(*tp)}" fill="{kw["color"]}"/>'


def motion_arrow(figure, start, end, transform) -> list[str]:
    """The arrow in the end panel: drawn by hand (``s.motion``), else along the path of the
    tracked point (``s.track``, else the limb point that moved most), beside the body."""
    if end.motion is not None:
        p0, c, p1 = (transform(p) for p in end.motion)
        path = [lerp_p(lerp_p(p0, c, u), lerp_p(c, p1, u), u) for u in (i / 10 for i in range(11))]
    else:
        samples = []
        for i in range(9):
            pose = Svg()
            figure(pose, i / 8)
            samples.append(transform(tracked(pose, start, end)))
        mid = ((samples[0][0] + samples[-1][0]) / 2, (samples[0][1] + samples[-1][1]) / 2)
        centre = body_centre(end, transform)
        away = (mid[0] - centre[0], mid[1] - centre[1])
        norm = math.hypot(*away) or 1.0
        shift = (14 * away[0] / norm, 14 * away[1] / norm)
        path = [(x + shift[0], y + shift[1]) for x, y in samples]
    return arrow_svg(path)


def tracked(pose, start, end):
    if pose.track is not None:
        return pose.track
    best, where = -1.0, None
    for layer, a, b in zip(pose.layers(), start.layers(), end.layers(), strict=True):
        for item, first, last in zip(layer, a, b, strict=True):
            if not is_limb(item):
                continue
            for p, p0, p1 in zip(item[1], first[1], last[1], strict=True):
                distance = math.hypot(p1[0] - p0[0], p1[1] - p0[1])
                if distance > best:
                    best, where = distance, p
    return where


def body_centre(pose, transform):
    points = [
        transform(p) for layer in pose.layers() for item in layer if is_limb(item) for p in item[1]
    ]
    return (sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points))


def arrow_svg(path, width=4, head=12) -> list[str]:
    tip = path[-1]
    before = next(
        (p for p in reversed(path[:-1]) if math.hypot(tip[0] - p[0], tip[1] - p[1]) > 4), path[0]
    )
    ang = math.atan2(tip[1] - before[1], tip[0] - before[0])
    stem = [*path[:-1], (tip[0] - 5 * math.cos(ang), tip[1] - 5 * math.sin(ang))]
    left = (tip[0] - head * math.cos(ang - 0.45), tip[1] - head * math.sin(ang - 0.45))
    right = (tip[0] - head * math.cos(ang + 0.45), tip[1] - head * math.sin(ang + 0.45))
    point = (tip[0] + 2 * math.cos(ang), tip[1] + 2 * math.sin(ang))
    return [
        polyline(stem, INK, width).replace("<polyline", '<polyline class="motion-arrow"'),
        f'<polygon class="motion-arrow-head" points="{pts(point, left, right)}" fill="#000"/>',
    ]


def make(code, title, desc, ladder=None):
    """The step's SVG: start and end panels with the moving part and an arrow."""
    figure = figure_for(code, ladder)
    start, end = Svg(), Svg()
    figure(start, 0.0)
    figure(end, 1.0)
    for a, b in zip(start.layers(), end.layers(), strict=True):
        if [item[0] for item in a] != [item[0] for item in b]:
            raise SystemExit(f"{code}: the start and end poses draw different parts")
    transform, k = fit((start, end))
    panels = []
    for number, (pose, other, label) in enumerate(
        ((start, end, start.labels[0]), (end, start, end.labels[1])), 1
    ):
        body = render_panel(pose, other, transform, k, end=number == 2)
        if number == 2:
            body += motion_arrow(figure, start, end, transform)
        name = "start" if number == 1 else "end"
        x = 0 if number == 1 else PANEL_W
        panels.append(
            f'  <g class="panel panel-{name}" transform="translate({x} 0)">\n'
            f'    <text x="8" y="19" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
            f'font-size="14" font-weight="bold" fill="#000">{number} {label}</text>\n    '
            + "\n    ".join(body)
            + "\n  </g>"
        )
    width = 2 * PANEL_W
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" width="{width}" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{code}-title {code}-desc">\n'
        f'  <title id="{code}-title">{title}</title>\n'
        f'  <desc id="{code}-desc">{desc} Two drawings: {start.labels[0].lower()} on the left, '
        f"{end.labels[1].lower()} on the right; the moving part is solid black with an arrow, "
        "the resting parts are grey outlines.</desc>\n"
        f'  <rect x="0" y="0" width="{width}" height="{HEIGHT}" fill="#fff"/>\n'
        + "\n".join(panels)
        + f'\n  <line x1="{PANEL_W}" y1="6" x2="{PANEL_W}" y2="{HEIGHT - 6}" stroke="#000" '
        'stroke-width="2"/>\n'
        f'  <polygon points="{PANEL_W - 7},{HEIGHT / 2 - 9} {PANEL_W + 8},{HEIGHT / 2} '
        f'{PANEL_W - 7},{HEIGHT / 2 + 9}" fill="#000"/>\n</svg>\n'
    )


# --- building blocks --------------------------------------------------------------------------


def floor(s, x0=8, x1=232, y=FLOOR):
    s.ground = ((x0, y), (x1, y))


def leg(s, hip, ankle, toe, bend, layer=None, color=INK):
    layer = s.mid if layer is None else layer
    knee = ik(hip, ankle, THIGH, SHIN, bend)
    s.line(layer, hip, knee, ankle, toe, color=color)
    return knee


def arm(s, shoulder, wrist, bend, layer=None, color=INK):
    layer = s.mid if layer is None else layer
    elbow = ik(shoulder, wrist, UPPER_ARM, FOREARM, bend)
    s.line(layer, shoulder, elbow, wrist, color=color)
    return elbow


def trunk(s, shoulder, hip, head, layer=None, head_r=9):
    layer = s.mid if layer is None else layer
    neck = toward(head, shoulder, head_r + 1)
    s.line(layer, neck, shoulder, hip)
    s.circle(layer, head, head_r, width=4, head=True)


def stopwatch(s, c=(184, 50), r=13):
    """The hold: a stopwatch, on the end panel only (panel coordinates)."""
    s.rect(s.note, c[0] - 3, c[1] - r - 6, 6, 5, fill=INK, width=1)
    s.circle(s.note, c, r, width=3)
    s.line(s.note, c, (c[0], c[1] - r + 4), width=2.5)
    s.line(s.note, c, (c[0] + r - 5, c[1] + 2), width=2.5)
    s.text(s.note, c[0], c[1] + r + 14, "HOLD", size=12)


def dumbbell(s, c, length=26, angle=0, layer=None):
    layer = s.front if layer is None else layer
    a = math.radians(angle)
    ux, uy = math.cos(a), -math.sin(a)
    p0 = (c[0] - ux * length / 2, c[1] - uy * length / 2)
    p1 = (c[0] + ux * length / 2, c[1] + uy * length / 2)
    s.line(layer, p0, p1, width=4, cap="butt")
    for end in (p0, p1):
        nx, ny = -uy, ux
        s.line(
            layer,
            (end[0] - nx * 7, end[1] - ny * 7),
            (end[0] + nx * 7, end[1] + ny * 7),
            width=6.5,
            cap="butt",
        )


def plate(s, c, r=15, heavy=False):
    """Barbell seen from the side: a plate with the bar end in the middle."""
    s.circle(s.front, c, r, fill="none", width=4)
    if heavy:
        s.circle(s.front, c, r - 6, fill="none", width=3)
    s.circle(s.front, c, 3.5, fill=INK, width=1)


def bench(s, x, top, w=44):
    s.rect(s.back, x, top, w, 8, width=3, rx=2)
    s.line(s.back, (x + 6, top + 8), (x + 6, FLOOR), width=3.5, cap="butt")
    s.line(s.back, (x + w - 6, top + 8), (x + w - 6, FLOOR), width=3.5, cap="butt")


def box(s, x, top, w=30):
    s.rect(s.back, x, top, w, FLOOR - top, width=3)


def speed_marks(s, marks):
    for x, y, length in marks:
        s.line(s.note, (x, y), (x + length, y), width=3)


# --- bridges ----------------------------------------------------------------------------------


def bridge_pose(ankle, phi, floor_y=131):
    """Knee from the ankle (shin tilted phi degrees towards the head), then shoulder on the floor
    and hip on the straight shoulder-knee line: the top of a bridge."""
    r = math.radians(phi)
    knee = (ankle[0] - SHIN * math.sin(r), ankle[1] - SHIN * math.cos(r))
    dy = floor_y - knee[1]
    dx = math.sqrt((TORSO + THIGH) ** 2 - dy * dy)
    shoulder = (knee[0] - dx, floor_y)
    return shoulder, toward(shoulder, knee, TORSO), knee


def bridge(s, t, *, ankle, toe, phi=8, single=False, weight=False, on_box=False):
    """On the back, head left: the hips lift from the floor (t=0) to the shoulder-knee line."""
    floor(s)
    if on_box:
        box(s, 160, 106, w=34)
    shoulder, top, _ = bridge_pose(ankle, phi)
    hip = toward(shoulder, lerp_p((shoulder[0] + TORSO - 2, 131), top, t), TORSO)
    knee = ik(hip, ankle, THIGH, SHIN, -1)
    s.line(s.back, shoulder, (shoulder[0] + 24, 136), (shoulder[0] + 46, 136), color=FAR)
    if single:  # the free leg held straight, in line with the thigh
        u = toward((0, 0), (knee[0] - hip[0], knee[1] - hip[1]), 1)
        fk = (hip[0] + u[0] * THIGH, hip[1] + u[1] * THIGH)
        fa = (fk[0] + u[0] * SHIN, fk[1] + u[1] * SHIN)
        s.line(
            s.back, hip, fk, fa, along(fa, math.degrees(math.atan2(-u[1], u[0])) + 90, 9), color=FAR
        )
    else:
        far = ik(hip, (ankle[0] - 4, ankle[1]), THIGH, SHIN, -1)
        s.line(s.back, hip, far, (ankle[0] - 4, ankle[1]), (toe[0] - 4, toe[1]), color=FAR)
    s.line(s.mid, hip, knee, ankle, toe)
    trunk(s, shoulder, hip, (shoulder[0] - 15, 129))
    if weight:
        slope = math.degrees(math.atan2(shoulder[1] - hip[1], hip[0] - shoulder[0]))
        dumbbell(s, along(hip, slope + 90, 10), length=26, angle=slope)
    s.motion = ((top[0] - 6, 128), (top[0] - 16, top[1] + 16), (top[0] - 10, top[1] - 4))
    return hip


FLAT = {"ankle": (160, 131), "toe": (171, 137)}
FAR_FEET = {"ankle": (178, 133), "toe": (189, 138)}
ON_BOX = {"ankle": (170, 100), "toe": (180, 95)}


def bridge_hold(s, t):
    bridge(s, t, **FLAT)
    if t == 1:
        stopwatch(s)


def morning_check(s, t):
    bridge(s, t, single=True, **FLAT)
    if t == 1:
        s.text(s.note, 8, 40, "each morning,", size=12, anchor="start")
        s.text(s.note, 8, 55, "3 each side: score 0–10", size=12, anchor="start")


# --- hip thrusts ------------------------------------------------------------------------------


def hip_thrust(s, t, *, single=False, load=None, arms="bench"):
    """Upper back on a bench, head left; the hips drive up from low (t=0) to level."""
    floor(s)
    bench(s, 12, 100, w=46)
    shoulder = (56, 97)
    ankle, toe = (146, 133), (158, 137)
    hip = lerp_p((92, 127), (105, 97), t)
    if single:
        fk = along(hip, 62, THIGH)
        fa = along(fk, -20, SHIN)
        s.line(s.back, hip, fk, fa, along(fa, 60, 9), color=FAR)
    else:
        far = ik(hip, (ankle[0] - 3, ankle[1]), THIGH, SHIN, -1)
        s.line(s.back, hip, far, (ankle[0] - 3, ankle[1]), (toe[0] - 3, toe[1]), color=FAR)
    leg(s, hip, ankle, toe, bend=-1)
    trunk(s, shoulder, hip, (44, 86))
    if arms == "bench":
        s.line(s.back, shoulder, (40, 94), (22, 97), color=FAR)
        s.line(s.mid, shoulder, (36, 92), (20, 95))
    else:
        arm(s, shoulder, (hip[0] - 6, hip[1] - 12), bend=1)
    if load == "dumbbell":
        dumbbell(s, (hip[0], hip[1] - 11), length=28)
    elif load:
        plate(s, (hip[0], hip[1] - 12), r=22 if load == "heavy" else 16, heavy=load == "heavy")
    s.track = (hip[0] + (-18 if single else 24), hip[1] + 8)
    return hip


def fast_thrust(s, t):
    hip_thrust(s, t, load="plate", arms="hips")
    if t == 1:
        s.text(s.note, 204, 40, "fast up", size=13, anchor="end")


# --- hinges (Romanian deadlift) ---------------------------------------------------------------


def hinge(s, t, *, lean, hip_end, load=None, dowel=False, kickstand=False):
    """Standing, facing right: the trunk tips forward from upright (t=0) to ``lean`` degrees,
    the hips going back, the arms hanging (or holding a stick along the back)."""
    floor(s)
    ankle, toe = (122, 133), (134, 137)
    hip = lerp_p((114, 62), hip_end, t)
    tilt = lerp(0, lean, t)
    shoulder = along(hip, 90 - tilt, TORSO)
    head = along(shoulder, 90 - tilt + 8, 15)
    if kickstand:
        s.line(s.back, hip, ik(hip, (80, 127), THIGH, SHIN, -1), (80, 127), (90, 138), color=FAR)
    else:
        far = ik(hip, (ankle[0] - 4, ankle[1]), THIGH, SHIN, -1)
        s.line(s.back, hip, far, (ankle[0] - 4, ankle[1]), (toe[0] - 4, toe[1]), color=FAR)
    knee = leg(s, hip, ankle, toe, bend=-1)
    trunk(s, shoulder, hip, head)
    if dowel:
        u = toward((0, 0), (shoulder[0] - hip[0], shoulder[1] - hip[1]), 1)
        n = (u[1], -u[0])  # towards the back
        p0 = (hip[0] - 12 * u[0] + 8 * n[0], hip[1] - 12 * u[1] + 8 * n[1])
        p1 = (head[0] + 12 * u[0] + 11 * n[0], head[1] + 12 * u[1] + 11 * n[1])
        s.line(s.front, p0, p1, width=4)
        low = (hip[0] + 4 * u[0] + 8 * n[0], hip[1] + 4 * u[1] + 8 * n[1])
        high = (shoulder[0] + 10 * u[0] + 9 * n[0], shoulder[1] + 10 * u[1] + 9 * n[1])
        arm(s, shoulder, low, bend=-1, layer=s.back, color=FAR)
        arm(s, shoulder, high, bend=1, layer=s.front)
    else:
        wrist = (shoulder[0] + 2, shoulder[1] + UPPER_ARM + FOREARM - 4)
        arm(s, shoulder, wrist, bend=1)
        if load == "dumbbell":
            dumbbell(s, (wrist[0], wrist[1] + 3), length=22)
        elif load:
            plate(
                s, (wrist[0], wrist[1] + 4), r=19 if load == "heavy" else 14, heavy=load == "heavy"
            )
    s.track = (head[0] + 14, head[1] - 10)
    return knee


def single_leg_hinge(s, t):
    """On the near leg; the trunk tips forward as the far leg swings back in line with it."""
    floor(s)
    hip = lerp_p((112, 62), (110, 68), t)
    tilt = lerp(0, 82, t)
    leg(s, hip, (118, 133), (131, 137), bend=-1)
    shoulder = along(hip, 90 - tilt, TORSO)
    head = along(shoulder, 90 - tilt + 4, 15)
    back = 270 - tilt
    fk = along(hip, back, THIGH)
    fa = along(fk, back, SHIN)
    s.line(s.back, hip, fk, fa, along(fa, back - 90, 9), color=FAR)
    trunk(s, shoulder, hip, head)
    wrist = (shoulder[0] + 2, shoulder[1] + UPPER_ARM + FOREARM - 4)
    arm(s, shoulder, wrist, bend=1)
    dumbbell(s, (wrist[0], wrist[1] + 3), length=22)
    s.track = (head[0] + 12, head[1] - 12)


# --- running ----------------------------------------------------------------------------------

GAITS = {  # (far thigh, far shin, far foot, near thigh, near shin, near foot, far upper arm,
    # far forearm, near upper arm, near forearm), degrees, 0 = right, 90 = up
    "run": (-55, -115, -30, -105, -150, -75, -60, 30, -150, -75),
    "sprint": (-25, -100, -20, -115, -165, -95, -35, 55, -155, -40),
    "walk": (-75, -80, 5, -102, -108, -20, -72, -55, -105, -100),
}


def runner(s, *, origin, t, scale=1.0, lean=12, gait="run"):
    """Side-view runner or walker facing right (origin = hip): the legs and arms swap over from
    t=0 (far leg forward) to t=1 (near leg forward)."""
    pose = GAITS[gait]
    ft, fs, ff, nt, ns, nf = pose[:6]
    fu, fl, nu, nl = pose[6:]
    # the same stride mirrored: the near limbs take the far limbs' angles and back
    near = (lerp(nt, ft, t), lerp(ns, fs, t), lerp(nf, ff, t))
    far = (lerp(ft, nt, t), lerp(fs, ns, t), lerp(ff, nf, t))
    near_arm = (lerp(nu, fu, t), lerp(nl, fl, t))
    far_arm = (lerp(fu, nu, t), lerp(fl, nl, t))
    L = scale
    hip = origin
    shoulder = along(hip, 90 - lean, TORSO * L)
    head = along(shoulder, 90 - lean, 15 * L)
    fk = along(hip, far[0], THIGH * L)
    fa = along(fk, far[1], SHIN * L)
    s.line(s.back, hip, fk, fa, along(fa, far[2], 9 * L), color=FAR)
    fe = along(shoulder, far_arm[0], UPPER_ARM * L)
    s.line(s.back, shoulder, fe, along(fe, far_arm[1], FOREARM * L), color=FAR)
    nk = along(hip, near[0], THIGH * L)
    na = along(nk, near[1], SHIN * L)
    s.line(s.mid, hip, nk, na, along(na, near[2], 9 * L))
    ne = along(shoulder, near_arm[0], UPPER_ARM * L)
    s.line(s.front, shoulder, ne, along(ne, near_arm[1], FOREARM * L))
    trunk(s, shoulder, hip, head, head_r=9 * L)
    ahead = along(hip, 90 - lean, TORSO * L * 0.3)
    s.motion = (
        (ahead[0] + 34, ahead[1]),
        (ahead[0] + 50, ahead[1] - 6),
        (ahead[0] + 70, ahead[1]),
    )
    return hip, shoulder, head


def bike(s, t):
    """Stationary bike, rider facing right: the pedals turn half a circle."""
    floor(s)
    s.line(s.back, (66, 139), (176, 139), width=6)  # base
    s.line(s.back, (92, 139), (102, 82), width=4.5)  # seat post
    s.line(s.back, (160, 139), (152, 64), width=4.5)  # handlebar post
    s.line(s.back, (100, 96), (154, 90), width=4.5)  # frame
    s.circle(s.back, (156, 116), 17, fill="none", width=4)  # flywheel
    s.line(s.back, (88, 80), (114, 80), width=6)  # saddle
    s.line(s.back, (152, 64), (166, 60), width=5)  # bars
    crank = (120, 116)
    angle = lerp(-30, 150, t)
    near, far = along(crank, angle, 14), along(crank, angle + 180, 14)
    s.line(s.front, far, crank, near, width=3.5)
    hip = (102, 74)
    s.line(s.back, hip, ik(hip, far, THIGH, SHIN, -1), far, (far[0] + 10, far[1] + 1), color=FAR)
    shoulder = along(hip, 55, TORSO)
    leg(s, hip, near, (near[0] + 10, near[1] + 1), bend=-1)
    trunk(s, shoulder, hip, along(shoulder, 48, 15))
    arm(s, shoulder, (164, 60), bend=1)
    s.motion = ((176, 134), (196, 116), (178, 96))  # the wheel turns with the pedals


def walk(s, t):
    floor(s)
    runner(s, origin=(118, 68), t=t, lean=4, gait="walk")


def walk_run(walk_minutes, run_minutes):
    """Two parts of one session, not a start and an end: walk, then run."""

    def figure(s, t):
        floor(s)
        running = t >= 0.5
        runner(
            s,
            origin=(118, 70 if running else 68),
            t=0.3,
            lean=12 if running else 4,
            gait="run" if running else "walk",
        )
        s.labels = (f"WALK {walk_minutes}", f"RUN {run_minutes}")

    return figure


def easy_run(s, t):
    floor(s)
    runner(s, origin=(118, 70), t=t, lean=10, gait="run")


def hills(s, t):
    slope = math.radians(16)
    s.ground = ((8, 150), (232, 150 - 224 * math.tan(slope)))
    hip_x = lerp(104, 136, t)
    ground_y = 150 - (hip_x - 8) * math.tan(slope)
    runner(s, origin=(hip_x, ground_y - 70), t=t, lean=18, gait="run")
    up = math.degrees(slope)
    start = along((hip_x + 40, ground_y - 58), up, 0)
    s.motion = (start, along(start, up + 6, 18), along(start, up, 36))


def strides(s, t):
    floor(s)
    runner(s, origin=(lerp(100, 140, t), 70), t=t, lean=20, gait="sprint")
    if t == 1:
        speed_marks(s, ((50, 46, 28), (42, 60, 28), (50, 74, 28)))


# --- activities (a phase's other prescribed items) --------------------------------------------


def extender(fast):
    """On the back, head left, the near thigh held upright: the knee straightens."""

    def figure(s, t):
        floor(s)
        hip, shoulder, head = (100, 131), (50, 131), (32, 127)
        s.line(s.back, hip, ik(hip, (172, 133), THIGH, SHIN, -1), (172, 133), (178, 124), color=FAR)
        trunk(s, shoulder, hip, head)
        knee = (hip[0] + 2, hip[1] - THIGH)
        angle = lerp(-10, 80 if fast else 62, t)
        ankle = along(knee, angle, SHIN)
        s.line(s.mid, hip, knee, ankle, along(ankle, angle + 90, 10))
        grip = toward(hip, knee, 24)
        arm(s, shoulder, (grip[0] - 5, grip[1]), bend=1)
        arm(s, shoulder, (grip[0] + 4, grip[1] + 2), bend=1, layer=s.back, color=FAR)
        s.track = along(knee, angle, SHIN + 14)
        if t == 1:
            s.text(s.note, 204, 40, "faster" if fast else "slowly", size=13, anchor="end")

    return figure


def diver(fast):
    """On the near leg, knee slightly bent: lean forward, arms reaching, far leg back."""

    def figure(s, t):
        floor(s)
        hip = (114, 63)
        lean = lerp(0, 80 if fast else 60, t)
        leg(s, hip, (118, 133), (130, 137), bend=-1)
        shoulder = along(hip, 90 - lean, TORSO)
        head = along(shoulder, 90 - lean, 15)
        back = along(hip, 270 - lean * 0.9, THIGH + SHIN - 2)
        s.line(s.back, hip, back, along(back, 360 - lean, 9), color=FAR)
        trunk(s, shoulder, hip, head)
        arm(s, shoulder, along(shoulder, lerp(-80, 90 - lean, t), UPPER_ARM + FOREARM - 2), bend=1)
        s.track = along(hip, 90 - lean, TORSO + 28)
        if t == 1:
            s.text(s.note, 8, 40, "faster, deeper" if fast else "slowly", size=13, anchor="start")

    return figure


def glider(fast):
    """Split stance, hands on a chair back: the far foot glides backwards on a towel."""

    def figure(s, t):
        floor(s)
        s.rect(s.back, 168, 74, 8, 66, width=3)  # chair back
        s.rect(s.back, 168, 104, 44, 6, width=3)  # seat
        s.line(s.back, (210, 110), (210, 140), width=3)
        hip = (lerp(126, 120, t), lerp(63, 72, t))
        shoulder = along(hip, 92, TORSO)
        back_ankle = (lerp(112, 58 if fast else 76, t), 133)
        s.rect(s.front, back_ankle[0] - 16, 136, 30, 4, width=2)  # towel
        s.line(
            s.back,
            hip,
            ik(hip, back_ankle, THIGH, SHIN, -1),
            back_ankle,
            (back_ankle[0] + 12, 137),
            color=FAR,
        )
        leg(s, hip, (146, 133), (158, 137), bend=-1)
        trunk(s, shoulder, hip, along(shoulder, 92, 15))
        arm(s, shoulder, (170, 76), bend=1)
        s.track = (back_ankle[0], 118)
        if t == 1:
            s.text(s.note, 8, 40, "further" if fast else "slowly", size=13, anchor="start")

    return figure


def seated_body(s, hip_end, *, cushion, t_stand=0.0):
    """A chair facing right; the sitter's hip rises from the seat to standing with t_stand."""
    floor(s)
    s.rect(s.back, 72, 108, 56, 7, width=3)  # seat
    s.rect(s.back, 72, 52, 7, 63, width=3)  # back rest
    s.line(s.back, (76, 115), (76, 140), width=3)
    s.line(s.back, (124, 115), (124, 140), width=3)
    top = 108
    if cushion:
        s.rect(s.back, 80, 99, 46, 9, rx=4, width=3)
        top = 99
    return lerp_p((96, top - 5), hip_end, t_stand)


def sitting(s, t):
    """Sitting on a cushion, then up for a short walk."""
    hip = seated_body(s, (150, 64), cushion=True, t_stand=t)
    ankle = (lerp(136, 158, t), 134)
    knee = ik(hip, ankle, THIGH, SHIN, -1)
    s.line(s.mid, hip, knee, ankle, (ankle[0] + 11, ankle[1] + 3))
    shoulder = along(hip, lerp(92, 88, t), TORSO)
    trunk(s, shoulder, hip, along(shoulder, 92, 15))
    arm(s, shoulder, (shoulder[0] + lerp(30, 6, t), shoulder[1] + lerp(32, 44, t)), bend=-1)
    s.labels = ("SIT", "UP EVERY 20–30 MIN")


def slider(s, t):
    """Seated: the knee straightens as the head looks up, bends as it looks down."""
    hip = seated_body(s, (0, 0), cushion=False)
    knee = (hip[0] + THIGH, hip[1])
    angle = lerp(-88, -20, t)
    ankle = along(knee, angle, SHIN)
    s.line(s.mid, hip, knee, ankle, along(ankle, angle + 90, 10))
    shoulder = along(hip, 92, TORSO)
    trunk(s, shoulder, hip, along(shoulder, lerp(70, 110, t), 15))
    arm(s, shoulder, (knee[0] - 8, knee[1] - 6), bend=-1)
    s.motion = ((knee[0] + 14, 134), (knee[0] + 40, 136), (knee[0] + 48, 110))
    s.labels = ("BEND, LOOK DOWN", "STRAIGHT, LOOK UP")


def knee_bend_hold(s, t):
    """Seated, the heel pressing back into the floor and held."""
    hip = seated_body(s, (0, 0), cushion=False)
    knee = (hip[0] + THIGH, hip[1])
    ankle = lerp_p((knee[0] + 6, 134), (knee[0] - 4, 134), t)
    knee = ik(hip, ankle, THIGH, SHIN, -1)
    s.line(s.mid, hip, knee, ankle, (ankle[0] + 11, ankle[1] + 3))
    shoulder = along(hip, 92, TORSO)
    trunk(s, shoulder, hip, along(shoulder, 92, 15))
    arm(s, shoulder, (knee[0] - 8, knee[1] - 6), bend=-1)
    s.motion = ((ankle[0] + 34, 120), (ankle[0] + 20, 116), (ankle[0] + 8, 122))
    if t == 1:
        stopwatch(s)


def press_up(s, t):
    """Lying on the front, head right: the chest presses up, the hips stay down."""
    floor(s)
    hip = (130, 130)
    s.line(s.back, hip, (58, 136), (50, 130), color=FAR)
    s.line(s.mid, hip, (54, 134), (46, 128))
    angle = lerp(2, 30, t)
    shoulder = along(hip, angle, TORSO)
    trunk(s, shoulder, hip, along(shoulder, angle + 10, 15))
    hand = (hip[0] + TORSO - 6, 138)
    arm(s, shoulder, hand, bend=1)
    s.track = along(shoulder, angle + 60, 16)
    if t == 1:
        s.text(s.note, 8, 40, "10 times,", size=13, anchor="start")
        s.text(s.note, 8, 55, "a few times a day", size=12, anchor="start")


def back_care(s, t):
    floor(s)
    runner(s, origin=(118, 68), t=t, lean=4, gait="walk")
    if t == 1:
        s.text(s.note, 204, 40, "little", size=12, anchor="end")
        s.text(s.note, 204, 55, "and often", size=12, anchor="end")


def side_lying(s, t):
    """On the side, head left: the top leg lifts straight."""
    floor(s)
    hip, shoulder, head = (110, 128), (58, 126), (40, 118)
    trunk(s, shoulder, hip, head)
    s.line(s.back, hip, (140, 134), (176, 134), (184, 128), color=FAR)
    angle = lerp(2, 24, t)
    top = along(hip, angle, THIGH + SHIN)
    s.line(s.mid, hip, along(hip, angle, THIGH), top, along(top, angle + 90, 9))
    s.line(s.mid, shoulder, (58, 104), (72, 102))  # elbow prop
    s.track = along(hip, angle, THIGH + SHIN + 10)


def crutches(s, t):
    """Crutches forward first, then the body swings through between them."""
    floor(s)
    tips = (lerp(136, 156, t), 138)
    hip = (lerp(104, 126, t), 61)
    shoulder = along(hip, 92, TORSO)
    leg(s, hip, (114, 133), (126, 137), bend=-1)
    far_foot = (lerp(100, 132, t), 116)
    s.line(
        s.back,
        hip,
        ik(hip, far_foot, THIGH, SHIN, -1),
        far_foot,
        (far_foot[0] + 10, 118),
        color=FAR,
    )
    trunk(s, shoulder, hip, along(shoulder, 92, 15))
    for layer in (s.front, s.back):
        s.line(layer, (shoulder[0] + 4, shoulder[1] + 6), tips, width=4)
    arm(s, shoulder, (lerp(shoulder[0] + 22, shoulder[0] + 14, t), 72), bend=-1)
    s.track = (hip[0], 40)
    if t == 1:
        s.text(s.note, 204, 40, "0/10 pain", size=13, anchor="end")


def knee_curl(s, t):
    """Lying on the front, head left: the near knee curls the heel up against an ankle weight."""
    floor(s)
    hip, shoulder, head = (120, 128), (64, 126), (44, 118)
    s.line(s.back, hip, (150, 132), (186, 133), (192, 126), color=FAR)
    trunk(s, shoulder, hip, head)
    s.line(s.mid, shoulder, (60, 138), (76, 138))
    knee = (hip[0] + THIGH, 132)
    ankle = along(knee, lerp(-2, 100, t), SHIN)
    s.line(s.mid, hip, knee, ankle, along(ankle, lerp(88, 190, t), 10))
    s.rect(s.front, ankle[0] - 7, ankle[1] - 5, 14, 10, fill=INK, width=2, rx=3)
    s.track = ankle
    if t == 1:
        s.text(s.note, 60, 40, "3 s up, 3 s down", size=12)


def nordic(s, t):
    """Kneeling, facing right, ankles held: the straight body lowers forward from the knees."""
    floor(s)
    knee = (92, 133)
    s.line(s.mid, knee, (54, 134), (48, 126))
    s.rect(s.back, 42, 120, 14, 8, width=2)
    lean = lerp(0, 40, t)
    hip = along(knee, 90 - lean, THIGH)
    shoulder = along(hip, 90 - lean, TORSO)
    s.line(s.mid, knee, hip)
    trunk(s, shoulder, hip, along(shoulder, 90 - lean, 15))
    arm(s, shoulder, along(shoulder, -60, UPPER_ARM + FOREARM - 6), bend=1)
    s.track = along(shoulder, 90 - lean, 15)
    if t == 1:
        s.text(s.note, 190, 40, "slowly down", size=12)


def sprint_effort(percent):
    """A runner over about 40 m, leaning more as the share of top speed rises."""

    def figure(s, t):
        floor(s)
        lean = 10 + percent // 8
        runner(s, origin=(lerp(90, 150, t), 70), t=t, lean=lean, gait="sprint")
        if t == 1:
            speed_marks(s, ((50, 46, 28), (42, 60, 28), (50, 74, 28))[: 1 + percent // 40])
            s.text(s.note, 200, 40, f"{percent}%", size=14)

    return figure


# --- which figure draws which step ------------------------------------------------------------

Figure = Callable[[Svg, float], None]

FIGURES: dict[str, Figure] = {
    "bridge_isometric_double": bridge_hold,
    "bridge_double": lambda s, t: bridge(s, t, **FLAT),
    "bridge_single_leg": lambda s, t: bridge(s, t, single=True, **FLAT),
    "bridge_single_leg_long_lever": lambda s, t: bridge(s, t, phi=-35, single=True, **FAR_FEET),
    "bridge_elevated_single": lambda s, t: bridge(s, t, phi=55, single=True, on_box=True, **ON_BOX),
    "bridge_loaded_single": lambda s, t: bridge(
        s, t, phi=55, single=True, on_box=True, weight=True, **ON_BOX
    ),
    "hip_thrust_bodyweight": lambda s, t: hip_thrust(s, t),
    "hip_thrust_banded_dumbbell": lambda s, t: hip_thrust(s, t, load="dumbbell"),
    "hip_thrust_barbell": lambda s, t: hip_thrust(s, t, load="plate", arms="hips"),
    "hip_thrust_single_leg": lambda s, t: hip_thrust(s, t, single=True),
    "hip_thrust_heavy": lambda s, t: hip_thrust(s, t, load="heavy", arms="hips"),
    "hip_thrust_explosive": fast_thrust,
    "rdl_hinge_dowel": lambda s, t: hinge(s, t, lean=45, hip_end=(106, 66), dowel=True),
    "rdl_to_knee": lambda s, t: hinge(s, t, lean=56, hip_end=(102, 68), load="dumbbell"),
    "rdl_full_range": lambda s, t: hinge(s, t, lean=76, hip_end=(100, 76), load="plate"),
    "rdl_kickstand": lambda s, t: hinge(
        s, t, lean=70, hip_end=(100, 70), load="dumbbell", kickstand=True
    ),
    "rdl_single_leg": single_leg_hinge,
    "rdl_heavy": lambda s, t: hinge(s, t, lean=76, hip_end=(100, 76), load="heavy"),
    "run_none_cross_train": bike,
    "run_brisk_walk": walk,
    "run_walk_run_short": walk_run("2 MIN", "3 MIN"),
    "run_walk_run_long": walk_run("1–2 MIN", "4 MIN"),
    "run_continuous_easy": easy_run,
    "run_hills": hills,
    "run_strides_speed": strides,
    "askling_extender_slow": extender(fast=False),
    "askling_extender_fast": extender(fast=True),
    "askling_diver_slow": diver(fast=False),
    "askling_diver_fast": diver(fast=True),
    "askling_glider_slow": glider(fast=False),
    "askling_glider_fast": glider(fast=True),
    "morning_bridge_check": morning_check,
    "sitting_care": sitting,
    "nerve_slider_seated": slider,
    "repeated_back_movement": press_up,
    "back_care_active": back_care,
    "hip_side_lying_abduction": side_lying,
    "bone_offload_crutches": crutches,
    "knee_bend_hold_seated": knee_bend_hold,
    "knee_curl_slow": knee_curl,
    "nordic_assisted": nordic,
    **{f"sprint_{percent}": sprint_effort(percent) for percent in (50, 70, 80, 90, 100)},
}

# A step added to one of these ladders is drawn with its ladder's figure until it has its own.
LADDER_FIGURES: dict[str, Figure] = {
    "bridge": FIGURES["bridge_double"],
    "hip_thrust": FIGURES["hip_thrust_bodyweight"],
    "rdl": FIGURES["rdl_to_knee"],
    "running": easy_run,
}


def figure_for(code: str, ladder: str | None = None) -> Figure:
    if code in FIGURES:
        return FIGURES[code]
    if ladder in LADDER_FIGURES:
        return LADDER_FIGURES[ladder]
    raise SystemExit(
        f"no drawing for {code} (ladder {ladder}): add a pose function to FIGURES in {__file__}"
    )


def steps():
    """(ladder code, step) for every step of every ladder in the knowledge file."""
    data = tomllib.loads((ROOT / "knowledge/ladders.toml").read_text(encoding="utf-8"))
    return [(ladder["code"], step) for ladder in data["ladder"] for step in ladder["step"]]


def main(selected=None):
    OUT.mkdir(parents=True, exist_ok=True)
    for ladder, step in steps():
        code = step["code"]
        if selected and code not in selected:
            continue
        svg = make(code, html.escape(step["name"]), html.escape(step["purpose"]), ladder)
        (OUT / f"{code}.svg").write_text(svg, encoding="utf-8")
    print("written to", OUT)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
