"""Charts for printed reports, written on the server as small SVG documents.

Why not the pages' ECharts: a PDF made without a browser cannot run JavaScript, and waiting for a
headless browser to draw every chart made a passport take ~7 s. Why not matplotlib: importing it
and drawing nine small charts took longer than the whole 2 s budget of a report on this machine.
The few chart types a report needs (trend lines, ranked bars, rank intervals, a histogram, a
choropleth of regions) are a few lines of SVG each; WeasyPrint draws their text with the report's
font, so every Kazakh letter prints. Tick labels go through :func:`bilim.formats.numbers.number`, the
one number format of the language, and value axes of counts and rates start at zero.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from html import escape
from pathlib import Path

from bilim.formats.numbers import number

INK, ACCENT, GREY, LIGHT, BAD = "#1f2937", "#1d4ed8", "#9ca3af", "#e5e7eb", "#b91c1c"
FONT = "font-family:'DejaVu Sans',sans-serif"
GEO = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "amcharts-geodata" / "kazakhstan2023Low.json"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, s: str, size: float = 7, anchor: str = "start", colour: str = INK,
          weight: str = "normal") -> str:
    return (f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" text-anchor="{anchor}" fill="{colour}" '
            f'font-weight="{weight}" style="{FONT}">{escape(s)}</text>')


def _svg(width: float, height: float, body: Sequence[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}pt" height="{_fmt(height)}pt" '
            f'viewBox="0 0 {_fmt(width)} {_fmt(height)}" role="img" aria-label="{escape(label)}">'
            + "".join(body) + "</svg>")


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2 or 5 × a power of ten apart), never repeated."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _tick_digits(ticks: Sequence[float]) -> int:
    return 0 if all(abs(t - round(t)) < 1e-9 for t in ticks) else 1


def trend(periods: Sequence[str], values: Sequence[float | None], *, title: str, lang: str,
          labels: Sequence[str] | None = None, zero: bool = True, width: float = 160, height: float = 80) -> str:
    """A small line chart of one indicator over school years (a gap where a year has no value); the
    title is the chart's accessible label, printed by the report above it."""
    left, right, top, bottom = 36, 14, 6, 14
    known = [v for v in values if v is not None]
    lo = min(known, default=0.0)
    hi = max(known, default=1.0)
    if zero and lo >= 0:
        lo = 0.0
    ticks = nice_ticks(lo, hi)
    t0, t1 = ticks[0], ticks[-1]
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(periods) - 1)

    def x(i: int) -> float:
        return left + pw * i / n if len(periods) > 1 else left + pw / 2

    def y(v: float) -> float:
        return top + ph * (1 - (v - t0) / (t1 - t0))

    body = []
    td = _tick_digits(ticks)
    for t in ticks:
        body.append(f'<line x1="{left}" x2="{_fmt(width - right)}" y1="{_fmt(y(t))}" y2="{_fmt(y(t))}" '
                    f'stroke="{LIGHT}" stroke-width="0.5"/>')
        body.append(_text(left - 3, y(t) + 2.3, number(t, td, lang), 6, "end", GREY))
    for i, lab in enumerate(labels or periods):
        body.append(_text(x(i), height - 3, lab, 6, "middle", GREY))
    run: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(run) > 1:
                body.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="1.4" points="{" ".join(run)}"/>')
            run = []
            continue
        run.append(f"{_fmt(x(i))},{_fmt(y(v))}")
        body.append(f'<circle cx="{_fmt(x(i))}" cy="{_fmt(y(v))}" r="1.8" fill="{ACCENT}"/>')
    if len(run) > 1:
        body.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="1.4" points="{" ".join(run)}"/>')
    return _svg(width, height, body, title)


def bars(names: Sequence[str], values: Sequence[float], *, lang: str, digits: int = 1, reference: float | None = None,
         reference_label: str = "", title: str = "", width: float = 500) -> str:
    """Horizontal bars in the given order, the axis from zero, each bar labelled with its value."""
    left, right, top, row = 150, 46, 22, 13
    height = top + row * max(1, len(names)) + 16
    lo = min(0.0, min(values, default=0.0))
    hi = max(max(values, default=1.0), reference or 0.0)
    ticks = nice_ticks(lo, hi)
    t0, t1 = ticks[0], ticks[-1]
    pw = width - left - right

    def x(v: float) -> float:
        return left + pw * (v - t0) / (t1 - t0)

    body = [_text(0, 10, title, 8, weight="bold")] if title else []
    td = _tick_digits(ticks)
    base = top + row * len(names)
    for t in ticks:
        body.append(f'<line x1="{_fmt(x(t))}" x2="{_fmt(x(t))}" y1="{top - 4}" y2="{_fmt(base)}" '
                    f'stroke="{LIGHT}" stroke-width="0.5"/>')
        body.append(_text(x(t), base + 9, number(t, td, lang), 6, "middle", GREY))
    for i, (name, v) in enumerate(zip(names, values, strict=True)):
        yy = top + row * i
        x0, x1 = sorted((x(0), x(v)))
        body.append(f'<rect x="{_fmt(x0)}" y="{_fmt(yy + 1.5)}" width="{_fmt(max(0.5, x1 - x0))}" height="{row - 3}" '
                    f'fill="{ACCENT}"/>')
        body.append(_text(left - 4, yy + row / 2 + 2.4, name, 6.5, "end"))
        body.append(_text(x1 + 3, yy + row / 2 + 2.4, number(v, digits, lang), 6.5))
    if reference is not None:
        body.append(f'<line x1="{_fmt(x(reference))}" x2="{_fmt(x(reference))}" y1="{top - 6}" y2="{_fmt(base)}" '
                    f'stroke="{BAD}" stroke-width="1" stroke-dasharray="3,2"/>')
        body.append(_text(x(reference) + 3, top - 7, f"{reference_label} {number(reference, digits, lang)}", 6.5,
                          colour=BAD))
    return _svg(width, height, body, title)


def intervals(names: Sequence[str], rank: Sequence[float], low: Sequence[float], high: Sequence[float], *,
              lang: str, title: str = "", legend: tuple[str, str] = ("rank", "5–95 %"), width: float = 500) -> str:
    """Composite-index ranks (dots) with their uncertainty intervals (bars), rank 1 leftmost."""
    left, right, top, row = 150, 16, 26, 13
    height = top + row * max(1, len(names)) + 16
    n = max(1, len(names))
    pw = width - left - right

    def x(r: float) -> float:
        return left + pw * (r - 0.5) / n

    body = [_text(0, 10, title, 8, weight="bold")] if title else []
    body += [f'<circle cx="{left + 4}" cy="17" r="2.2" fill="{ACCENT}"/>', _text(left + 10, 19.5, legend[0], 6.5),
             f'<rect x="{left + 80}" y="14.5" width="14" height="5" fill="{GREY}"/>', _text(left + 98, 19.5, legend[1], 6.5)]
    base = top + row * len(names)
    for r in range(1, n + 1):
        body.append(f'<line x1="{_fmt(x(r))}" x2="{_fmt(x(r))}" y1="{top}" y2="{_fmt(base)}" stroke="{LIGHT}" '
                    f'stroke-width="0.5"/>')
        body.append(_text(x(r), base + 9, number(r, 0, lang), 6, "middle", GREY))
    for i, (name, rk, lo, hi) in enumerate(zip(names, rank, low, high, strict=True)):
        yy = top + row * i + row / 2
        body.append(f'<line x1="{_fmt(x(lo))}" x2="{_fmt(x(hi))}" y1="{_fmt(yy)}" y2="{_fmt(yy)}" stroke="{GREY}" '
                    f'stroke-width="5" stroke-linecap="round"/>')
        body.append(f'<circle cx="{_fmt(x(rk))}" cy="{_fmt(yy)}" r="2.4" fill="{ACCENT}"/>')
        body.append(_text(left - 4, yy + 2.4, name, 6.5, "end"))
    return _svg(width, height, body, title)


def histogram(labels: Sequence[str], counts: Sequence[float], *, lang: str, title: str = "", xlabel: str = "",
              width: float = 500, height: float = 150) -> str:
    """Vertical bars from zero (a distribution: pupils per band of expenditure)."""
    left, right, top, bottom = 40, 6, 18, 34
    ticks = nice_ticks(0, max(counts, default=1.0) or 1.0)
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(labels))
    body = [_text(0, 10, title, 8, weight="bold")] if title else []
    for t in ticks:
        yy = top + ph * (1 - t / ticks[-1])
        body.append(f'<line x1="{left}" x2="{_fmt(width - right)}" y1="{_fmt(yy)}" y2="{_fmt(yy)}" stroke="{LIGHT}" '
                    f'stroke-width="0.5"/>')
        body.append(_text(left - 3, yy + 2.3, number(t, _tick_digits(ticks), lang), 6, "end", GREY))
    for i, (lab, c) in enumerate(zip(labels, counts, strict=True)):
        bw = pw / n
        h = ph * c / ticks[-1]
        body.append(f'<rect x="{_fmt(left + bw * i + 1)}" y="{_fmt(top + ph - h)}" width="{_fmt(bw - 2)}" '
                    f'height="{_fmt(h)}" fill="{ACCENT}"/>')
        cx, cy = left + bw * (i + 0.5), top + ph + 8
        body.append(f'<text x="{_fmt(cx)}" y="{_fmt(cy)}" font-size="5.5" text-anchor="end" fill="{GREY}" '
                    f'style="{FONT}" transform="rotate(-30 {_fmt(cx)} {_fmt(cy)})">{escape(lab)}</text>')
    if xlabel:
        body.append(_text(left + pw / 2, height - 2, xlabel, 6.5, "middle"))
    return _svg(width, height, body, title)


@cache
def _regions() -> dict[str, list[list[tuple[float, float]]]]:
    """Region outlines (lon, lat rings, thinned) by ISO code from the geodata the web map uses."""
    geo = json.loads(GEO.read_text(encoding="utf-8"))
    out: dict[str, list[list[tuple[float, float]]]] = {}
    for f in geo["features"]:
        code = f.get("id") or f["properties"].get("id")
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        rings = []
        for poly in polys:
            ring = poly[0]
            step = max(1, len(ring) // 150)
            rings.append([tuple(pt) for pt in ring[::step]])
        out[code] = rings
    return out


def choropleth(values: dict[str, float | None], *, lang: str, digits: int = 1, title: str = "",
               higher_is_better: bool = True, width: float = 500) -> str:
    """Regions shaded by value (darker = better); regions without a value light grey; a legend of the range."""
    shapes = _regions()
    pts = [p for rings in shapes.values() for ring in rings for p in ring]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    kx = math.cos(math.radians((y0 + y1) / 2))  # equirectangular, true to scale at the middle latitude
    top, legend_h = 16, 18
    scale = width / ((x1 - x0) * kx)
    height = top + (y1 - y0) * scale + legend_h
    known = [v for v in values.values() if v is not None]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)

    def shade(v: float) -> str:
        t = (v - lo) / (hi - lo) if hi > lo else 0.5
        t = t if higher_is_better else 1 - t
        r, g, b = (int(a + (c - a) * (0.15 + 0.85 * t)) for a, c in ((219, 30), (234, 64), (254, 175)))
        return f"#{r:02x}{g:02x}{b:02x}"

    body = [_text(0, 10, title, 8, weight="bold")] if title else []
    for code, rings in sorted(shapes.items()):
        v = values.get(code)
        d = " ".join("M" + " L".join(f"{_fmt((p[0] - x0) * kx * scale)},{_fmt(top + (y1 - p[1]) * scale)}" for p in ring)
                     + " Z" for ring in rings)
        body.append(f'<path d="{d}" fill="{LIGHT if v is None else shade(v)}" stroke="#ffffff" stroke-width="0.6"/>')
    ly = height - 8
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        body.append(f'<rect x="{_fmt(width - 200 + 30 * i)}" y="{_fmt(ly - 7)}" width="30" height="6" fill="{shade(v)}"/>')
    body.append(_text(width - 203, ly - 1.5, number(lo, digits, lang), 6, "end"))
    body.append(_text(width - 47, ly - 1.5, number(hi, digits, lang), 6))
    return _svg(width, height, body, title)
