"""Generate the ladder-step illustrations (simple stick figures, black on white, 240x160)."""

from __future__ import annotations

import html
import math
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "rehab"
OUT = ROOT / "static/rehab/illustrations"

FLOOR = 140
THIGH, SHIN, TORSO, UPPER_ARM, FOREARM = 38, 36, 48, 25, 24
BODY = 7  # limb stroke width
FAR = "#8a8a8a"  # far-side limbs: mid grey, prints in black and white
INK = "#000"


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


def f(v):
    return f"{v:.1f}".rstrip("0").rstrip(".")


def pts(*ps):
    return " ".join(f"{f(x)},{f(y)}" for x, y in ps)


class Svg:
    """Collects primitives in drawing coordinates, then scales the figure to fill the frame."""

    def __init__(self, title, desc):
        self.title, self.desc = title, desc
        self.back: list = []  # drawn first (far limbs, props behind)
        self.mid: list = []
        self.front: list = []
        self.ground: tuple | None = None

    def line(self, layer, *ps, color=INK, width=BODY, dash=None, cap="round"):
        layer.append(("line", ps, {"color": color, "width": width, "dash": dash, "cap": cap}))

    def circle(self, layer, c, r, fill="#fff", color=INK, width=4, dash=None):
        layer.append(
            ("circle", (c,), {"r": r, "fill": fill, "color": color, "width": width, "dash": dash})
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
        layer.append(
            ("text", ((x, y),), {"s": s, "size": size, "anchor": anchor, "weight": weight})
        )

    def path_q(self, layer, p0, c, p1, color=INK, width=3):
        layer.append(("pathq", (p0, c, p1), {"color": color, "width": width}))

    def polygon(self, layer, *ps, color=INK):
        layer.append(("polygon", ps, {"color": color}))

    def _fit(self):
        xs, ys = [], []
        for _kind, ps, kw in self.back + self.mid + self.front:
            r = kw.get("r", 0)
            for x, y in ps:
                xs += [x - r, x + r]
                ys += [y - r, y + r]
        gy = FLOOR if self.ground is None else max(self.ground[0][1], self.ground[1][1])
        x0, x1, y0 = min(xs), max(xs), min(ys)
        k = min(212 / (x1 - x0), (146 - 10) / (gy - y0), 1.7)
        cx = (x0 + x1) / 2

        def T(p):
            return (120 + (p[0] - cx) * k, 146 - (gy - p[1]) * k)

        return T, k

    def render(self, code):
        T, k = self._fit()
        out = []
        if self.ground is not None:
            a, b = T(self.ground[0]), T(self.ground[1])
            slope = (b[1] - a[1]) / (b[0] - a[0])
            g0 = (6, a[1] + (6 - a[0]) * slope)
            g1 = (234, a[1] + (234 - a[0]) * slope)
            out.append(
                f'<line x1="{f(g0[0])}" y1="{f(g0[1])}" x2="{f(g1[0])}" y2="{f(g1[1])}" '
                'stroke="#000" stroke-width="2.5"/>'
            )
        for kind, ps, kw in self.back + self.mid + self.front:
            tp = [T(p) for p in ps]
            if kind == "line":
                dash = f' stroke-dasharray="{kw["dash"]}"' if kw["dash"] else ""
                out.append(
                    f'<polyline points="{pts(*tp)}" fill="none" stroke="{kw["color"]}" '
                    f'stroke-width="{kw["width"]}" stroke-linecap="{kw["cap"]}" '
                    f'stroke-linejoin="round"{dash}/>'
                )
            elif kind == "circle":
                dash = f' stroke-dasharray="{kw["dash"]}"' if kw["dash"] else ""
                r = kw["r"] * (k if kw.get("scale", True) else 1)
                out.append(
                    f'<circle cx="{f(tp[0][0])}" cy="{f(tp[0][1])}" r="{f(r)}" fill="{kw["fill"]}" '
                    f'stroke="{kw["color"]}" stroke-width="{kw["width"]}"{dash}/>'
                )
            elif kind == "rect":
                (x0, y0), (x1, y1) = tp
                out.append(
                    f'<rect x="{f(x0)}" y="{f(y0)}" width="{f(x1 - x0)}" height="{f(y1 - y0)}" '
                    f'rx="{f(kw["rx"])}" fill="{kw["fill"]}" stroke="{kw["color"]}" '
                    f'stroke-width="{kw["width"]}"/>'
                )
            elif kind == "text":
                x, y = tp[0]
                out.append(
                    f'<text x="{f(x)}" y="{f(y)}" font-family="DejaVu Sans, Helvetica, Arial, '
                    f'sans-serif" font-size="{kw["size"]}" font-weight="{kw["weight"]}" '
                    f'text-anchor="{kw["anchor"]}" fill="#000">{kw["s"]}</text>'
                )
            elif kind == "pathq":
                p0, c, p1 = tp
                out.append(
                    f'<path d="M{f(p0[0])},{f(p0[1])} Q{f(c[0])},{f(c[1])} {f(p1[0])},{f(p1[1])}" '
                    f'fill="none" stroke="{kw["color"]}" stroke-width="{kw["width"]}" '
                    'stroke-linecap="round"/>'
                )
            elif kind == "polygon":
                out.append(f'<polygon points="{pts(*tp)}" fill="{kw["color"]}"/>')
        body = "\n  ".join(out)
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 160" width="240" '
            f'height="160" role="img" aria-labelledby="{code}-title {code}-desc">\n'
            f'  <title id="{code}-title">{self.title}</title>\n'
            f'  <desc id="{code}-desc">{self.desc}</desc>\n'
            '  <rect x="0" y="0" width="240" height="160" fill="#fff"/>\n'
            f"  {body}\n</svg>\n"
        )


# --- building blocks --------------------------------------------------------------------------


def floor(s, x0=8, x1=232, y=FLOOR):
    s.ground = ((x0, y), (x1, y))


def leg(s, hip, ankle, toe, bend, layer=None, color=INK, dash=None, width=BODY):
    layer = s.mid if layer is None else layer
    knee = ik(hip, ankle, THIGH, SHIN, bend)
    s.line(layer, hip, knee, ankle, toe, color=color, dash=dash, width=width)
    return knee


def arm(s, shoulder, wrist, bend, layer=None, color=INK, width=BODY):
    layer = s.mid if layer is None else layer
    elbow = ik(shoulder, wrist, UPPER_ARM, FOREARM, bend)
    s.line(layer, shoulder, elbow, wrist, color=color, width=width)
    return elbow


def trunk(s, shoulder, hip, head, layer=None, color=INK, dash=None, width=BODY, head_r=9):
    layer = s.mid if layer is None else layer
    neck = toward(head, shoulder, head_r + 1)
    s.line(layer, neck, shoulder, hip, color=color, dash=dash, width=width)
    if dash:
        s.circle(layer, head, head_r, color=color, width=2.5, dash="3 3")
    else:
        s.circle(layer, head, head_r, color=color, width=4)


def arrow(s, p0, c, p1, width=3, head=9, layer=None, color=INK):
    """Quadratic-curve arrow from p0 to p1 via control point c, head at p1."""
    layer = s.front if layer is None else layer
    ang = math.atan2(p1[1] - c[1], p1[0] - c[0])
    end = (p1[0] - 4 * math.cos(ang), p1[1] - 4 * math.sin(ang))
    s.path_q(layer, p0, c, end, color=color, width=width)
    left = (p1[0] - head * math.cos(ang - 0.45), p1[1] - head * math.sin(ang - 0.45))
    right = (p1[0] - head * math.cos(ang + 0.45), p1[1] - head * math.sin(ang + 0.45))
    tip = (p1[0] + 2 * math.cos(ang), p1[1] + 2 * math.sin(ang))
    s.polygon(layer, tip, left, right, color=color)


def double_arrow(s, p0, c, p1, **kw):
    arrow(s, c_mid(p0, c, p1), c, p1, **kw)
    arrow(s, c_mid(p0, c, p1), c, p0, **kw)


def c_mid(p0, c, p1):
    return (0.25 * p0[0] + 0.5 * c[0] + 0.25 * p1[0], 0.25 * p0[1] + 0.5 * c[1] + 0.25 * p1[1])


def stopwatch(s, c, r=13):
    s.rect(s.front, c[0] - 3, c[1] - r - 6, 6, 5, fill=INK, width=1)
    s.circle(s.front, c, r, width=3)
    s.line(s.front, c, (c[0], c[1] - r + 4), width=2.5)
    s.line(s.front, c, (c[0] + r - 5, c[1] + 2), width=2.5)
    s.text(s.front, c[0], c[1] + r + 14, "HOLD", size=11)


def dumbbell(s, c, length=26, angle=0, layer=None):
    layer = s.front if layer is None else layer
    a = math.radians(angle)
    ux, uy = math.cos(a), -math.sin(a)
    p0 = (c[0] - ux * length / 2, c[1] - uy * length / 2)
    p1 = (c[0] + ux * length / 2, c[1] + uy * length / 2)
    s.line(layer, p0, p1, width=4, cap="butt")
    for end in (p0, p1):
        nx, ny = -uy, ux
        q0 = (end[0] - nx * 7, end[1] - ny * 7)
        q1 = (end[0] + nx * 7, end[1] + ny * 7)
        s.line(layer, q0, q1, width=7, cap="butt")


def plate(s, c, r=15, layer=None):
    """Barbell seen from the side: a plate with the bar end in the middle."""
    layer = s.front if layer is None else layer
    s.circle(layer, c, r, fill="none", width=4)
    s.circle(layer, c, 3.5, fill=INK, width=1)


def bench(s, x, top, w=44):
    s.rect(s.back, x, top, w, 8, fill="#fff", width=3, rx=2)
    s.line(s.back, (x + 6, top + 8), (x + 6, FLOOR), width=3.5, cap="butt")
    s.line(s.back, (x + w - 6, top + 8), (x + w - 6, FLOOR), width=3.5, cap="butt")


def box(s, x, top, w=30):
    s.rect(s.back, x, top, w, FLOOR - top, fill="#fff", width=3)


# --- poses ------------------------------------------------------------------------------------


def bridge_pose(ankle, phi, floor_y=131):
    """Knee from the ankle (shin tilted phi degrees towards the head), then shoulder on the floor
    and hip on the straight shoulder-knee line: the top of a bridge."""
    r = math.radians(phi)
    knee = (ankle[0] - SHIN * math.sin(r), ankle[1] - SHIN * math.cos(r))
    dy = floor_y - knee[1]
    dx = math.sqrt((TORSO + THIGH) ** 2 - dy * dy)
    shoulder = (knee[0] - dx, floor_y)
    hip = toward(shoulder, knee, TORSO)
    return shoulder, hip, knee


def bridge_top(s, *, ankle, toe, phi=8, free_leg=None, far_leg=True, load=False):
    """Lying on the back, head left, hips lifted. free_leg='straight' lifts the far leg in line."""
    shoulder, hip, knee = bridge_pose(ankle, phi)
    head = (shoulder[0] - 15, 129)
    s.line(s.mid, hip, knee, ankle, toe)
    if far_leg and free_leg is None:
        s.line(
            s.back,
            hip,
            (knee[0] - 3, knee[1] + 1),
            (ankle[0] - 4, ankle[1]),
            (toe[0] - 4, toe[1]),
            color=FAR,
        )
    trunk(s, shoulder, hip, head)
    s.line(s.back, shoulder, (shoulder[0] + 24, 136), (shoulder[0] + 46, 136), color=FAR)
    if free_leg == "straight":
        u = toward((0, 0), (knee[0] - hip[0], knee[1] - hip[1]), 1)
        fk = (hip[0] + u[0] * THIGH, hip[1] + u[1] * THIGH)
        fa = (fk[0] + u[0] * SHIN, fk[1] + u[1] * SHIN)
        ft = along(fa, math.degrees(math.atan2(-u[1], u[0])) + 90, 9)
        s.line(s.back, hip, fk, fa, ft, color=FAR)
    return shoulder, hip, knee


def bridge_bottom_ghost(s, *, shoulder, ankle, toe):
    hip = (shoulder[0] + TORSO - 2, 131)
    leg(s, hip, ankle, toe, bend=-1, layer=s.back, color=FAR, dash="4 5", width=3)
    s.line(s.back, shoulder, hip, color=FAR, dash="4 5", width=3)
    return hip


def hip_thrust(s, *, top=True, free_leg=False, ghost=True, arms="bench"):
    bench(s, 12, 100, w=46)
    shoulder = (56, 97)
    ankle, toe = (146, 133), (158, 137)
    head = (44, 86)
    hip = (105, 97) if top else (92, 127)
    if ghost:
        gh = (92, 128)
        leg(s, gh, ankle, toe, bend=-1, layer=s.back, color=FAR, dash="4 5", width=3)
        s.line(s.back, shoulder, gh, color=FAR, dash="4 5", width=3)
    if free_leg:
        fk = along(hip, 62, THIGH)
        fa = along(fk, -20, SHIN)
        s.line(s.back, hip, fk, fa, along(fa, 60, 9), color=FAR)
        knee = leg(s, hip, ankle, toe, bend=-1)
    else:
        leg(
            s, hip, (ankle[0] - 3, ankle[1]), (toe[0] - 3, toe[1]), bend=-1, layer=s.back, color=FAR
        )
        knee = leg(s, hip, ankle, toe, bend=-1)
    trunk(s, shoulder, hip, head)
    if arms == "bench":
        s.line(s.back, shoulder, (40, 94), (22, 97), color=FAR)
        s.line(s.mid, shoulder, (36, 92), (20, 95))
    elif arms == "hips":
        arm(s, shoulder, (hip[0] - 6, hip[1] - 12), bend=1)
    return hip, knee


def standing_hinge(
    s, *, hip, torso_deg, ankle=(122, 133), toe=(134, 137), wrist=None, far_leg=True
):
    """Standing, facing right, hinged: torso_deg = lean from vertical."""
    shoulder = along(hip, 90 - torso_deg, TORSO)
    head = along(shoulder, 90 - torso_deg + 8, 15)
    if far_leg:
        leg(
            s, hip, (ankle[0] - 4, ankle[1]), (toe[0] - 4, toe[1]), bend=-1, layer=s.back, color=FAR
        )
    knee = leg(s, hip, ankle, toe, bend=-1)
    trunk(s, shoulder, hip, head)
    return shoulder, knee, head


def runner(s, *, origin, scale=1.0, lean=12, phase="run", ghost=False):
    """Side-view runner or walker facing right; origin = hip position."""
    ox, oy = origin
    L = scale

    def P(x, y):
        return (ox + x * L, oy + y * L)

    hip = P(0, 0)
    shoulder = (
        hip[0] + TORSO * L * math.sin(math.radians(lean)),
        hip[1] - TORSO * L * math.cos(math.radians(lean)),
    )
    head = along(shoulder, 90 - lean, 15 * L)
    w = BODY * (0.85 if L < 1 else 1)
    if phase == "run":
        # far leg: swing leg forward, knee high; near leg: push-off behind
        fk = along(hip, -55, THIGH * L)
        fa = along(fk, -115, SHIN * L)
        s.line(s.back, hip, fk, fa, along(fa, -30, 9 * L), color=FAR, width=w)
        nk = along(hip, -105, THIGH * L)
        na = along(nk, -150, SHIN * L)
        s.line(s.mid, hip, nk, na, along(na, -75, 9 * L), width=w)
        # arms: near arm back, far arm forward
        fe = along(shoulder, -60, UPPER_ARM * L)
        s.line(s.back, shoulder, fe, along(fe, 30, FOREARM * L), color=FAR, width=w)
        ne = along(shoulder, -150, UPPER_ARM * L)
        s.line(s.front, shoulder, ne, along(ne, -75, FOREARM * L), width=w)
    elif phase == "sprint":
        fk = along(hip, -25, THIGH * L)
        fa = along(fk, -100, SHIN * L)
        s.line(s.back, hip, fk, fa, along(fa, -20, 9 * L), color=FAR, width=w)
        nk = along(hip, -115, THIGH * L)
        na = along(nk, -165, SHIN * L)
        s.line(s.mid, hip, nk, na, along(na, -95, 9 * L), width=w)
        fe = along(shoulder, -35, UPPER_ARM * L)
        s.line(s.back, shoulder, fe, along(fe, 55, FOREARM * L), color=FAR, width=w)
        ne = along(shoulder, -155, UPPER_ARM * L)
        s.line(s.front, shoulder, ne, along(ne, -40, FOREARM * L), width=w)
    else:  # walk
        fk = along(hip, -75, THIGH * L)
        fa = along(fk, -80, SHIN * L)
        s.line(s.back, hip, fk, fa, along(fa, 5, 10 * L), color=FAR, width=w)
        nk = along(hip, -102, THIGH * L)
        na = along(nk, -108, SHIN * L)
        s.line(s.mid, hip, nk, na, along(na, -20, 10 * L), width=w)
        fe = along(shoulder, -72, UPPER_ARM * L)
        s.line(s.back, shoulder, fe, along(fe, -55, FOREARM * L), color=FAR, width=w)
        ne = along(shoulder, -105, UPPER_ARM * L)
        s.line(s.mid, shoulder, ne, along(ne, -100, FOREARM * L), width=w)
    neck = toward(head, shoulder, 10 * L)
    s.line(s.mid, neck, shoulder, hip, width=w)
    s.circle(s.mid, head, 9 * L, width=4 * (0.85 if L < 1 else 1))
    return hip, shoulder, head


# --- the figures ------------------------------------------------------------------------------


def make(code, title, desc):
    s = Svg(title, desc)
    if code.startswith("bridge"):
        floor(s)
        flat = {"ankle": (160, 131), "toe": (171, 137)}
        if code == "bridge_isometric_double":
            bridge_top(s, **flat)
            stopwatch(s, (205, 45))
        elif code == "bridge_double":
            sh, hip, _ = bridge_pose(flat["ankle"], 8)
            bridge_bottom_ghost(s, shoulder=sh, **flat)
            bridge_top(s, **flat)
            arrow(s, (hip[0] - 4, 128), (hip[0] - 12, 108), (hip[0] - 6, 88))
        elif code == "bridge_single_leg":
            sh, hip, _ = bridge_pose(flat["ankle"], 8)
            bridge_bottom_ghost(s, shoulder=sh, **flat)
            bridge_top(s, free_leg="straight", **flat)
            arrow(s, (hip[0] - 8, 128), (hip[0] - 16, 108), (hip[0] - 10, 88))
        elif code == "bridge_single_leg_long_lever":
            far = {"ankle": (178, 133), "toe": (189, 138)}
            sh, hip, _ = bridge_pose(far["ankle"], -35)
            bridge_bottom_ghost(s, shoulder=sh, **far)
            bridge_top(s, phi=-35, free_leg="straight", **far)
            arrow(s, (hip[0] - 8, 128), (hip[0] - 16, 110), (hip[0] - 10, 92))
        elif code in ("bridge_elevated_single", "bridge_loaded_single"):
            box(s, 160, 106, w=34)
            on_box = {"ankle": (170, 100), "toe": (180, 95)}
            sh, hip, _ = bridge_pose(on_box["ankle"], 55)
            bridge_bottom_ghost(s, shoulder=sh, **on_box)
            bridge_top(s, phi=55, free_leg="straight", **on_box)
            if code == "bridge_loaded_single":
                slope = math.degrees(math.atan2(sh[1] - hip[1], hip[0] - sh[0]))
                lift = along(hip, slope + 90, 10)
                dumbbell(s, lift, length=26, angle=slope)
                arrow(s, (hip[0] - 24, 128), (hip[0] - 32, 106), (hip[0] - 26, 84))
            else:
                arrow(s, (hip[0] - 8, 128), (hip[0] - 16, 106), (hip[0] - 10, 84))
    elif code.startswith("hip_thrust"):
        floor(s)
        if code == "hip_thrust_bodyweight":
            hip, _ = hip_thrust(s)
            arrow(s, (118, 122), (126, 104), (120, 84))
        elif code == "hip_thrust_banded_dumbbell":
            hip, knee = hip_thrust(s)
            dumbbell(s, (hip[0], hip[1] - 11), length=28)
            arrow(s, (120, 124), (128, 106), (122, 86))
        elif code in ("hip_thrust_barbell", "hip_thrust_heavy", "hip_thrust_explosive"):
            hip, _ = hip_thrust(s, arms="hips")
            r = 22 if code == "hip_thrust_heavy" else 16
            if code == "hip_thrust_heavy":
                plate(s, (hip[0], hip[1] - 12), r=r)
                s.circle(s.front, (hip[0], hip[1] - 12), r - 6, fill="none", width=3)
            else:
                plate(s, (hip[0], hip[1] - 9), r=r)
            if code == "hip_thrust_explosive":
                arrow(s, (140, 120), (146, 96), (138, 62), width=4, head=11)
                for dx, y0 in ((150, 112), (157, 100), (150, 88)):
                    s.line(s.front, (dx, y0), (dx + 14, y0 - 4), width=2.5)
            else:
                arrow(s, (136, 122), (144, 102), (136, 80))
        elif code == "hip_thrust_single_leg":
            hip, _ = hip_thrust(s, free_leg=True)
            arrow(s, (96, 124), (86, 110), (82, 90))
    elif code.startswith("rdl"):
        floor(s)
        ankle, _toe = (122, 133), (135, 137)
        if code == "rdl_hinge_dowel":
            hip = (106, 66)
            shoulder, knee, head = standing_hinge(s, hip=hip, torso_deg=45)
            u = toward((0, 0), (shoulder[0] - hip[0], shoulder[1] - hip[1]), 1)
            n = (u[1], -u[0])  # towards the back (up and left)
            p0 = (hip[0] - 12 * u[0] + 8 * n[0], hip[1] - 12 * u[1] + 8 * n[1])
            p1 = (head[0] + 12 * u[0] + 11 * n[0], head[1] + 12 * u[1] + 11 * n[1])
            s.line(s.front, p0, p1, width=3.5)
            low = (hip[0] + 4 * u[0] + 8 * n[0], hip[1] + 4 * u[1] + 8 * n[1])
            high = (shoulder[0] + 10 * u[0] + 9 * n[0], shoulder[1] + 10 * u[1] + 9 * n[1])
            arm(s, shoulder, low, bend=-1, layer=s.back, color=FAR)
            arm(s, shoulder, high, bend=1, layer=s.front)
            arrow(
                s,
                (head[0] + 16, head[1] - 14),
                (head[0] + 36, head[1] + 6),
                (head[0] + 30, head[1] + 34),
            )
        elif code == "rdl_to_knee":
            hip = (102, 68)
            shoulder, knee, head = standing_hinge(s, hip=hip, torso_deg=56)
            wrist = (knee[0] + 8, knee[1] - 4)
            arm(s, shoulder, wrist, bend=1)
            dumbbell(s, (wrist[0], wrist[1] + 3), length=22)
            arrow(
                s,
                (head[0] + 14, head[1] - 10),
                (head[0] + 34, head[1] + 12),
                (head[0] + 24, head[1] + 40),
            )
        elif code in ("rdl_full_range", "rdl_heavy"):
            hip = (100, 76)
            shoulder, knee, head = standing_hinge(s, hip=hip, torso_deg=76)
            r = 19 if code == "rdl_heavy" else 14
            bar = (ankle[0] + 6, 114)
            arm(s, shoulder, bar, bend=1)
            plate(s, bar, r=r)
            if code == "rdl_heavy":
                s.circle(s.front, bar, r - 6, fill="none", width=3)
            arrow(
                s,
                (head[0] + 12, head[1] - 12),
                (head[0] + 32, head[1] + 10),
                (head[0] + 22, head[1] + 40),
            )
        elif code == "rdl_kickstand":
            hip = (100, 70)
            leg(s, hip, (80, 127), (90, 138), bend=-1, layer=s.back, color=FAR)
            shoulder, knee, head = standing_hinge(s, hip=hip, torso_deg=70, far_leg=False)
            wrist = (knee[0] + 8, knee[1] + 6)
            arm(s, shoulder, wrist, bend=1)
            dumbbell(s, (wrist[0], wrist[1] + 3), length=22)
            arrow(
                s,
                (head[0] + 12, head[1] - 12),
                (head[0] + 32, head[1] + 10),
                (head[0] + 22, head[1] + 40),
            )
        elif code == "rdl_single_leg":
            hip = (110, 68)
            leg(s, hip, (118, 133), (131, 137), bend=-1)
            shoulder = along(hip, 8, TORSO)
            head = along(shoulder, 12, 15)
            fk = along(hip, 188, THIGH)
            fa = along(fk, 188, SHIN)
            s.line(s.mid, hip, fk, fa, along(fa, -80, 9))
            trunk(s, shoulder, hip, head)
            wrist = (shoulder[0] - 4, shoulder[1] + UPPER_ARM + FOREARM - 3)
            arm(s, shoulder, wrist, bend=1)
            dumbbell(s, (wrist[0], wrist[1] + 3), length=22)
            arrow(
                s,
                (head[0] - 6, head[1] - 30),
                (head[0] + 22, head[1] - 28),
                (head[0] + 22, head[1] - 6),
            )
        upright_ghost(s, hip)
    elif code.startswith("run"):
        if code == "run_none_cross_train":
            floor(s)
            # stationary bike, side view, rider facing right
            s.line(s.back, (66, 139), (176, 139), width=6)  # base
            s.line(s.back, (92, 139), (102, 82), width=4.5)  # seat post
            s.line(s.back, (160, 139), (152, 64), width=4.5)  # handlebar post
            s.line(s.back, (100, 96), (154, 90), width=4.5)  # frame
            s.circle(s.back, (156, 116), 17, fill="none", width=4)  # flywheel
            s.line(s.back, (88, 80), (114, 80), width=6)  # saddle
            s.line(s.back, (152, 64), (166, 60), width=5)  # bars
            crank = (120, 116)
            pedal_near, pedal_far = along(crank, -30, 14), along(crank, 150, 14)
            s.line(s.back, pedal_far, crank, pedal_near, width=3.5)
            s.circle(s.back, crank, 4, fill=INK, width=1)
            hip = (102, 74)
            leg(
                s,
                hip,
                pedal_far,
                (pedal_far[0] + 10, pedal_far[1] + 1),
                bend=-1,
                layer=s.back,
                color=FAR,
            )
            shoulder = along(hip, 55, TORSO)
            head = along(shoulder, 48, 15)
            leg(s, hip, pedal_near, (pedal_near[0] + 10, pedal_near[1] + 1), bend=-1)
            trunk(s, shoulder, hip, head)
            arm(s, shoulder, (164, 60), bend=1)
        elif code == "run_brisk_walk":
            floor(s)
            runner(s, origin=(118, 68), lean=4, phase="walk")
            arrow(s, (150, 40), (176, 34), (200, 40))
        elif code in ("run_walk_run_short", "run_walk_run_long"):
            floor(s)
            runner(s, origin=(62, 82), scale=0.78, lean=4, phase="walk")
            runner(s, origin=(170, 82), scale=0.78, lean=12, phase="run")
            arrow(s, (92, 46), (116, 32), (140, 46), width=3)
            arrow(s, (140, 96), (116, 110), (92, 96), width=3)
            if code == "run_walk_run_short":
                s.text(s.front, 62, 24, "walk 2 min")
                s.text(s.front, 172, 24, "run 3 min")
            else:
                s.text(s.front, 62, 24, "walk 1–2 min")
                s.text(s.front, 172, 24, "run 4 min")
        elif code == "run_continuous_easy":
            floor(s)
            runner(s, origin=(118, 70), lean=10, phase="run")
            for y in (50, 62, 74):
                s.line(s.front, (52, y), (72, y), width=2.5)
        elif code == "run_hills":
            # slope rising to the right
            slope = math.radians(16)
            s.ground = ((8, 150), (232, 150 - 224 * math.tan(slope)))
            hip_x = 120
            ground_y = 150 - (hip_x - 8) * math.tan(slope)
            runner(s, origin=(hip_x, ground_y - 70), lean=18, phase="run")
            arrow(s, (160, 56), (186, 44), (206, 24))
        elif code == "run_strides_speed":
            floor(s)
            runner(s, origin=(124, 70), lean=20, phase="sprint")
            for x, y in ((44, 46), (36, 60), (44, 74), (36, 88)):
                s.line(s.front, (x, y), (x + 28, y), width=3)
    elif code in ACTIVITY_DRAWINGS:
        ACTIVITY_DRAWINGS[code](s)
    else:
        raise SystemExit(f"no drawing for {code}")
    return s.render(code)


# --- activities (a phase's other prescribed items) --------------------------------------------


def ghost_line(s, *ps):
    s.line(s.back, *ps, color=FAR, width=4, dash="5 4")


def upright_ghost(s, hip):
    """The start of a hinge, dashed grey behind the solid end pose: standing tall."""
    shoulder = along(hip, 90, TORSO)
    ghost_line(s, hip, shoulder)
    s.circle(s.back, along(shoulder, 90, 13), 9, color=FAR, width=3, dash="5 4")


def extender(s, *, fast):
    """On the back, head left; the near thigh held upright, the knee straightening."""
    floor(s)
    hip, shoulder, head = (100, 131), (50, 131), (32, 127)
    leg(s, hip, (172, 133), (178, 124), bend=-1, layer=s.back, color=FAR)
    trunk(s, shoulder, hip, head)
    knee = (hip[0] + 2, hip[1] - THIGH)
    start = along(knee, -10, SHIN)
    end = along(knee, 80 if fast else 62, SHIN)
    ghost_line(s, knee, start, along(start, -10 + 90, 9))
    s.line(s.mid, hip, knee, end, along(end, 80 + 90 if fast else 62 + 90, 10))
    grip = toward(hip, knee, 24)
    arm(s, shoulder, (grip[0] - 5, grip[1]), bend=1)
    arm(s, shoulder, (grip[0] + 4, grip[1] + 2), bend=1, layer=s.back, color=FAR)
    arrow(s, along(knee, 5, SHIN + 12), along(knee, 40, SHIN + 22), along(knee, 70, SHIN + 12))
    s.text(s.front, 200, 30, "faster" if fast else "slowly", size=12)


def diver(s, *, fast):
    """Standing on the near leg, leaning forward, arms reaching forward, far leg back."""
    floor(s)
    hip = (114, 63)  # standing knee slightly bent (10-20 degrees)
    lean = 80 if fast else 60
    ankle, toe = (118, 133), (130, 137)
    leg(s, hip, ankle, toe, bend=-1)
    shoulder = along(hip, 90 - lean, TORSO)
    head = along(shoulder, 90 - lean, 15)
    back = along(hip, 270 - lean, THIGH + SHIN - 2)
    s.line(s.back, hip, back, along(back, 360 - lean, 9), color=FAR, width=BODY)
    trunk(s, shoulder, hip, head)
    arm(s, shoulder, along(shoulder, 90 - lean, UPPER_ARM + FOREARM - 2), bend=1)
    ghost_line(s, hip, along(hip, 90, TORSO))
    arrow(
        s,
        along(hip, 88, TORSO + 12),
        along(hip, 75 - lean / 3, TORSO + 26),
        along(hip, 100 - lean, TORSO + 14),
    )
    s.text(s.front, 40, 30, "faster, deeper" if fast else "slowly", size=12, anchor="start")


def glider(s, *, fast):
    """Split stance facing right, hands on a chair back; the far foot glides backwards."""
    floor(s)
    s.rect(s.back, 168, 74, 8, 66, width=3)  # chair back
    s.rect(s.back, 168, 104, 44, 6, width=3)  # seat
    s.line(s.back, (210, 110), (210, 140), width=3)
    hip = (120, 72)
    shoulder = along(hip, 92, TORSO)
    head = along(shoulder, 92, 15)
    back_ankle = (58 if fast else 76, 133)
    s.rect(s.back, back_ankle[0] - 16, 136, 30, 4, width=2)  # towel
    # The start: both feet together under the hip, dashed grey.
    leg(s, hip, (112, 133), (124, 137), bend=-1, layer=s.back, color=FAR, dash="5 4", width=4)
    leg(s, hip, back_ankle, (back_ankle[0] + 12, 137), bend=-1, layer=s.back, color=FAR)
    leg(s, hip, (146, 133), (158, 137), bend=-1)
    trunk(s, shoulder, hip, head)
    arm(s, shoulder, (170, 76), bend=1)
    arrow(s, (back_ankle[0] + 22, 124), (back_ankle[0] + 4, 118), (back_ankle[0] - 14, 124))
    s.text(s.front, 40, 30, "further" if fast else "slowly", size=12, anchor="start")


def morning_check(s):
    floor(s)
    flat = {"ankle": (160, 131), "toe": (171, 137)}
    bridge_top(s, free_leg="straight", **flat)
    s.text(s.front, 120, 22, "every morning: 3 each side, score 0–10", size=11)


def seated(s, *, cushion):
    """Seated on a chair facing right; returns hip, knee, shoulder."""
    floor(s)
    s.rect(s.back, 72, 108, 56, 7, width=3)  # seat
    s.rect(s.back, 72, 52, 7, 63, width=3)  # back rest
    s.line(s.back, (76, 115), (76, 140), width=3)
    s.line(s.back, (124, 115), (124, 140), width=3)
    top = 108
    if cushion:
        s.rect(s.back, 80, 99, 46, 9, rx=4, width=3)
        top = 99
    hip = (96, top - 5)
    knee = (hip[0] + THIGH, hip[1])
    shoulder = along(hip, 92, TORSO)
    return hip, knee, shoulder


def sitting(s):
    hip, knee, shoulder = seated(s, cushion=True)
    ankle = (knee[0] + 2, 134)
    s.line(s.mid, hip, knee, ankle, (ankle[0] + 11, ankle[1] + 3))
    trunk(s, shoulder, hip, along(shoulder, 92, 15))
    arm(s, shoulder, (knee[0] - 8, knee[1] - 6), bend=-1)
    s.text(s.front, 196, 40, "up every", size=12)
    s.text(s.front, 196, 56, "20–30 min", size=12)


def slider(s):
    hip, knee, shoulder = seated(s, cushion=False)
    bent = (knee[0] + 2, 134)
    ghost_line(s, knee, bent, (bent[0] + 11, bent[1] + 3))
    ankle = along(knee, -20, SHIN)
    s.line(s.mid, hip, knee, ankle, along(ankle, 70, 10))
    trunk(s, shoulder, hip, along(shoulder, 110, 15))
    arm(s, shoulder, (knee[0] - 8, knee[1] - 6), bend=-1)
    arrow(
        s, (bent[0] + 18, bent[1] - 4), (ankle[0] + 18, bent[1] - 6), (ankle[0] + 10, ankle[1] + 12)
    )
    s.text(s.front, 200, 30, "knee up: look up", size=11)
    s.text(s.front, 200, 46, "knee down: look down", size=11)


def knee_bend_hold(s):
    hip, knee, shoulder = seated(s, cushion=False)
    ankle = (knee[0] - 2, 134)
    s.line(s.mid, hip, knee, ankle, (ankle[0] + 11, ankle[1] + 3))
    trunk(s, shoulder, hip, along(shoulder, 92, 15))
    arm(s, shoulder, (knee[0] - 8, knee[1] - 6), bend=-1)
    arrow(s, (ankle[0] + 26, 122), (ankle[0] + 14, 124), (ankle[0] + 4, 128))
    stopwatch(s, (196, 50))


def press_up(s):
    """Lying on the front, head right, pressing the chest up with the hips left down."""
    floor(s)
    hip = (130, 130)
    s.line(s.back, hip, (58, 136), (50, 130), color=FAR, width=BODY)
    s.line(s.mid, hip, (54, 134), (46, 128))
    ghost_line(s, hip, (hip[0] + TORSO, 131))
    shoulder = along(hip, 30, TORSO)
    trunk(s, shoulder, hip, along(shoulder, 40, 15))
    s.line(s.mid, shoulder, (shoulder[0] + 2, 138))
    arrow(
        s,
        (hip[0] + TORSO + 8, 124),
        (hip[0] + TORSO + 16, 106),
        (shoulder[0] + 14, shoulder[1] - 6),
    )
    s.text(s.front, 70, 40, "10 times,", size=12)
    s.text(s.front, 70, 56, "several times a day", size=11)


def back_care(s):
    floor(s)
    runner(s, origin=(118, 68), lean=4, phase="walk")
    s.text(s.front, 120, 18, "walk little and often, break up sitting", size=11)


def side_lying(s):
    """On the side, head left; the top leg lifts straight."""
    floor(s)
    hip, shoulder, head = (110, 128), (58, 126), (40, 118)
    trunk(s, shoulder, hip, head)
    s.line(s.back, hip, (140, 134), (176, 134), (184, 128), color=FAR, width=BODY)
    ghost_line(s, hip, (hip[0] + THIGH + SHIN, 129))
    top = along(hip, 24, THIGH + SHIN)
    s.line(s.mid, hip, top, along(top, 114, 9))
    s.line(s.mid, shoulder, (58, 104), (72, 102), width=BODY)  # elbow prop
    arrow(s, (hip[0] + 80, 124), (hip[0] + 88, 110), (hip[0] + 80, 96))


def crutches(s):
    floor(s)
    hip = (112, 61)
    shoulder = along(hip, 92, TORSO)
    head = along(shoulder, 92, 15)
    leg(s, hip, (114, 133), (126, 137), bend=-1)
    leg(s, hip, (106, 116), (116, 118), bend=-1, layer=s.back, color=FAR)
    trunk(s, shoulder, hip, head)
    for x in (146, 152):
        s.line(s.front if x == 146 else s.back, (x - 10, shoulder[1] + 6), (x + 4, 138), width=4)
    arm(s, shoulder, (144, 72), bend=-1)
    s.text(s.front, 196, 40, "0/10 pain", size=12)


def knee_curl(s):
    """Lying on the front, head left; the near knee curls the foot up against an ankle weight,
    the straight start leg dashed grey."""
    floor(s)
    hip, shoulder, head = (120, 128), (64, 126), (44, 118)
    s.line(s.back, hip, (150, 132), (186, 133), (192, 126), color=FAR, width=BODY)  # far leg
    trunk(s, shoulder, hip, head)
    s.line(s.mid, shoulder, (60, 138), (76, 138), width=BODY)  # forearm on the floor
    knee = (hip[0] + THIGH, 132)
    ghost_line(s, knee, (knee[0] + SHIN, 133))
    ankle = along(knee, 110, SHIN)
    s.line(s.mid, hip, knee, ankle, along(ankle, 20, 10))
    s.rect(s.front, ankle[0] - 7, ankle[1] - 5, 14, 10, fill=INK, width=2, rx=3)  # ankle weight
    arrow(s, (knee[0] + SHIN - 4, 118), (knee[0] + SHIN - 6, 84), ankle)
    s.text(s.front, 70, 40, "3 s up, 3 s down", size=11)


def nordic(s):
    """Kneeling, facing right, ankles held; the straight body lowers forward from the knees,
    the upright start dashed grey."""
    floor(s)
    knee = (92, 133)
    s.line(s.mid, knee, (54, 134), (48, 126))  # shin on the mat, foot behind
    s.rect(s.back, 42, 120, 14, 8, width=2)  # ankle holder
    ghost_line(s, knee, along(knee, 90, THIGH + TORSO))
    s.circle(s.back, along(knee, 90, THIGH + TORSO + 13), 9, color=FAR, width=3, dash="5 4")
    lean = 40  # degrees forward from upright
    hip = along(knee, 90 - lean, THIGH)
    shoulder = along(hip, 90 - lean, TORSO)
    s.line(s.mid, knee, hip)
    trunk(s, shoulder, hip, along(shoulder, 90 - lean, 15))
    arm(s, shoulder, along(shoulder, -60, UPPER_ARM + FOREARM - 6), bend=1)
    arrow(
        s,
        along(knee, 84, THIGH + TORSO + 8),
        along(knee, 70, THIGH + TORSO + 16),
        along(knee, 52, THIGH + TORSO + 8),
    )
    s.text(s.front, 60, 40, "slowly down", size=12)


def sprint_effort(s, *, percent):
    """A runner on a 40 m stretch, faster and more leaning as the percentage rises; a speed
    gauge with its needle at the percentage (read the same in black and white)."""
    floor(s)
    fast = percent >= 80
    runner(s, origin=(150, 70), lean=10 + percent // 8, phase="sprint" if fast else "run")
    s.line(s.back, (30, 140), (30, 128), width=3)  # start cone
    s.line(s.back, (226, 140), (226, 128), width=3)  # finish cone
    s.text(s.front, 128, 154, "about 40 m", size=10, weight="normal")
    gauge = (52, 56)
    s.path_q(s.back, along(gauge, 180, 26), (gauge[0], gauge[1] - 36), along(gauge, 0, 26))
    s.line(s.front, gauge, along(gauge, 180 - 180 * percent / 100, 22), width=3)
    s.circle(s.front, gauge, 3, fill=INK, width=1)
    s.text(s.front, gauge[0], gauge[1] + 20, f"{percent}%", size=14)
    for x, y in ((96, 50), (90, 64), (96, 78))[: 1 + percent // 40]:
        s.line(s.front, (x, y), (x + 18, y), width=2.5)


ACTIVITY_DRAWINGS = {
    "askling_extender_slow": lambda s: extender(s, fast=False),
    "askling_extender_fast": lambda s: extender(s, fast=True),
    "askling_diver_slow": lambda s: diver(s, fast=False),
    "askling_diver_fast": lambda s: diver(s, fast=True),
    "askling_glider_slow": lambda s: glider(s, fast=False),
    "askling_glider_fast": lambda s: glider(s, fast=True),
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
    **{
        f"sprint_{percent}": (lambda p: lambda s: sprint_effort(s, percent=p))(percent)
        for percent in (50, 70, 80, 90, 100)
    },
}


def main(selected=None):
    data = tomllib.loads((ROOT / "knowledge/ladders.toml").read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    for ladder in data["ladder"]:
        for step in ladder["step"]:
            code = step["code"]
            if selected and code not in selected:
                continue
            title = html.escape(step["name"])
            desc = html.escape(step["purpose"])
            (OUT / f"{code}.svg").write_text(make(code, title, desc), encoding="utf-8")
    print("written to", OUT)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
