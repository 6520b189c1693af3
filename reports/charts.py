"""Charts as small inline SVG, the same markup in the HTML page and in the PDF.

Written by hand rather than with matplotlib: a matplotlib SVG costs about 0.1-0.4 s to make and as
much again for WeasyPrint to draw (clip paths, per-glyph markup), five charts a report, hundreds of
reports a quarter; these few shapes cost milliseconds. Labels are text, drawn with the page's
fonts, so any script shows. Every function returns one <svg> element as a string.
"""

from __future__ import annotations

import math
from html import escape

from smartdd.safe_text import printable

INK, MUTED, GRID = "#1f2933", "#7b8794", "#e4e7eb"
BLUE, LIGHT_BLUE, ORANGE, RED, GREEN = "#2f6fb0", "#9fc3e7", "#d9822b", "#c23b32", "#2e8b57"
RATING_COLOURS = {"A": "#2e8b57", "B": "#7fb24a", "C": "#e0a72e", "D": "#c23b32"}
SERIES_COLOURS = [BLUE, ORANGE, RED, GREEN, MUTED]
COST_COLOURS = ["#2f6fb0", "#79a7d8", "#e0a72e", "#9b59b6", "#7b8794"]
WIDTH = 640


def _t(text) -> str:
    return escape(printable(str(text)))


def _svg(width: float, height: float, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_t(label)}" '
        f'font-size="11" fill="{INK}">' + "".join(body) + "</svg>"
    )


def _text(x, y, text, anchor="start", size=None, colour=None, weight=None) -> str:
    extra = (f' font-size="{size}"' if size else "") + (f' fill="{colour}"' if colour else "") + (f' font-weight="{weight}"' if weight else "")
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{_t(text)}</text>'


def _line(x1, y1, x2, y2, colour=GRID, width=1, dash=None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" stroke-width="{width}"{d}/>'


def _rect(x, y, w, h, colour) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{colour}"/>'


def _legend(x, y, items: list[tuple[str, str]], step: float | None = None, size: float = 10) -> list[str]:
    """Swatches and names on one line; each item as wide as its name needs unless `step` is given."""
    out = []
    for name, colour in items:
        out += [_rect(x, y - 8, 10, 10, colour), _text(x + 14, y + 1, name, size=size)]
        x += step or 14 + _text_width(name, size) + 18
    return out


def _text_width(text: str, size: float) -> float:
    return 0.56 * size * len(str(text))  # an average sans-serif advance: enough to keep labels apart


def _short(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 and round steps up to at least `top`."""
    if not top or top <= 0 or math.isnan(top):
        top = 1.0
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _percent(v: float) -> str:
    return f"{v * 100:.0f} %" if v * 100 == round(v * 100) else f"{v * 100:.1f} %"


def _number(v: float) -> str:
    return f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"


def _values(values) -> list[float | None]:
    out = []
    for v in values:
        try:
            out.append(None if v is None or math.isnan(float(v)) else float(v))
        except (TypeError, ValueError):
            out.append(None)
    return out


def radar(labels: list[str], series: list[tuple[str, list, str]], size: float = 330) -> str:
    """Scores 0-100 on one spoke per label; series = (legend, values, style), style current |
    previous | median. A missing value leaves its point out."""
    cx, cy, r = size / 2, size / 2 - 6, size / 2 - 40
    n = len(labels)

    def point(i, v):
        a = 2 * math.pi * i / n
        return cx + r * v / 100 * math.sin(a), cy - r * v / 100 * math.cos(a)

    body = []
    for level in (25, 50, 75, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        body.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}"/>')
        body.append(_text(cx + 3, cy - r * level / 100 + 10, level, size=8, colour=MUTED))
    for i, label in enumerate(labels):
        x, y = point(i, 100)
        body.append(_line(cx, cy, x, y))
        lx, ly = point(i, 117)
        body.append(_text(lx, ly + 4, label, anchor="middle", weight="600"))
    styles = {"current": (BLUE, 2.4, None, 0.14), "previous": (ORANGE, 1.6, "5,3", 0), "median": (MUTED, 1.4, "2,2", 0)}
    legend = []
    for name, values, style in series:
        values = _values(values)
        if all(v is None for v in values):
            continue
        colour, width, dash, fill = styles[style]
        pts = [point(i, v) for i, v in enumerate(values) if v is not None]
        d = f' stroke-dasharray="{dash}"' if dash else ""
        shape = "polygon" if len(pts) == n else "polyline"
        body.append(
            f'<{shape} points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="{colour if fill else "none"}" fill-opacity="{fill}" stroke="{colour}" stroke-width="{width}"{d}/>'
        )
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{colour}"/>' for x, y in pts]
        legend.append((name, colour))
    body += _legend(4, size - 4, legend, step=(size - 8) / 3, size=9)
    return _svg(size, size + 4, body, "radar of the principle scores")


def lines_over_time(periods: list[str], series: dict[str, list], percent: bool = True, height: float = 200) -> str:
    left, right, top, bottom = 46, 150, 12, 26
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    all_values = [v for vs in series.values() for v in _values(vs) if v is not None]
    ticks = nice_ticks(max(all_values, default=0) or (0.1 if percent else 1))
    scale = ticks[-1] or 1
    step = plot_w / max(len(periods), 1)
    body = []
    for t in ticks:
        y = top + plot_h * (1 - t / scale)
        body += [_line(left, y, left + plot_w, y), _text(left - 6, y + 4, _percent(t) if percent else _number(t), anchor="end", size=9, colour=MUTED)]
    for i, p in enumerate(periods):
        body.append(_text(left + step * (i + 0.5), height - 8, p, anchor="middle", size=9, colour=MUTED))
    legend = []
    for k, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        pts = [(left + step * (i + 0.5), top + plot_h * (1 - v / scale)) for i, v in enumerate(_values(values)) if v is not None]
        if len(pts) > 1:
            body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}"/>' for x, y in pts]
        legend.append((name, colour))
    for k, (name, colour) in enumerate(legend):
        y = top + 10 + 18 * k
        body += [_rect(WIDTH - right + 14, y - 8, 10, 10, colour), _text(WIDTH - right + 28, y + 1, name, size=10)]
    return _svg(WIDTH, height, body, "over time")


def bars(labels: list[str], values: list, highlight: list[bool] | None = None, percent: bool = True, ylabel: str = "", height: float = 190) -> str:
    left, top, bottom = 52, 10, 34
    plot_w, plot_h = WIDTH - left - 10, height - top - bottom
    values = [v or 0 for v in _values(values)]
    ticks = nice_ticks(max(values, default=0) or 0.1)
    scale = ticks[-1] or 1
    step = plot_w / max(len(values), 1)
    body = []
    for t in ticks:
        y = top + plot_h * (1 - t / scale)
        body += [_line(left, y, left + plot_w, y), _text(left - 6, y + 4, _percent(t) if percent else _number(t), anchor="end", size=9, colour=MUTED)]
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * v / scale
        colour = RED if highlight and highlight[i] else BLUE
        body += [
            _rect(left + step * i + step * 0.12, top + plot_h - h, step * 0.76, h, colour),
            _text(left + step * (i + 0.5), height - 18, label, anchor="middle", size=9),
        ]
    if ylabel:
        body.append(_text(left, height - 2, ylabel, size=9, colour=MUTED))
    return _svg(WIDTH, height, body, ylabel or "bars")


def _horizontal_axis(left, plot_w, top, plot_h, ticks, label_y, fmt) -> list[str]:
    scale = ticks[-1] or 1
    out = []
    for t in ticks:
        x = left + plot_w * t / scale
        out += [_line(x, top, x, top + plot_h), _text(x, label_y, fmt(t), anchor="middle", size=9, colour=MUTED)]
    return out


def complaints(categories: list[str], received: list, resolved: list, within_30d: list) -> str:
    row, left, top = 30, 150, 6
    plot_w, plot_h = WIDTH - left - 16, row * len(categories)
    height = top + plot_h + 40
    ticks = nice_ticks(max([v or 0 for v in received] + [1]))
    scale = ticks[-1] or 1
    body = _horizontal_axis(left, plot_w, top, plot_h, ticks, top + plot_h + 14, _number)
    kinds = [("received", received, LIGHT_BLUE), ("resolved", resolved, BLUE), ("resolved within 30 days", within_30d, GREEN)]
    for i, category in enumerate(categories):
        y = top + row * i
        body.append(_text(left - 8, y + row / 2 + 4, category, anchor="end", size=10))
        for k, (_, values, colour) in enumerate(kinds):
            body.append(_rect(left, y + 4 + 7.5 * k, plot_w * (values[i] or 0) / scale, 7, colour))
    body += _legend(left, height - 6, [(name, colour) for name, _, colour in kinds])
    return _svg(WIDTH, height, body, "complaints by category")


def cost_split(products: list[str], parts: dict[str, list]) -> str:
    """A stacked bar per product: the APR points each part of the price adds."""
    row, left, top = 24, 110, 6
    plot_w, plot_h = WIDTH - left - 16, row * len(products)
    height = top + plot_h + 40
    totals = [sum(v or 0 for v in values) for values in zip(*parts.values(), strict=True)] if parts else []
    ticks = nice_ticks(max(totals + [1]))
    scale = ticks[-1] or 1
    body = _horizontal_axis(left, plot_w, top, plot_h, ticks, top + plot_h + 14, lambda t: f"{t:.0f} %")
    for i, product in enumerate(products):
        y, x = top + row * i, left
        body.append(_text(left - 8, y + row / 2 + 4, product, anchor="end", size=10))
        for (_, values), colour in zip(parts.items(), COST_COLOURS, strict=False):
            w = plot_w * (values[i] or 0) / scale
            body.append(_rect(x, y + 4, w, row - 8, colour))
            x += w
    body += _legend(left, height - 6, [(name, colour) for name, colour in zip(parts, COST_COLOURS, strict=False)])
    return _svg(WIDTH, height, body, "APR cost split")


def rating_bars(counts: dict[str, float], money: bool = False, width: float = 300, height: float = 170) -> str:
    left, top, bottom = 8, 18, 22
    plot_h = height - top - bottom
    values = list(counts.values())
    scale = max(values + [1])
    step = (width - left * 2) / max(len(values), 1)
    body = [_line(left, top + plot_h, width - left, top + plot_h, MUTED)]
    for i, (rating, v) in enumerate(counts.items()):
        h = plot_h * v / scale
        x = left + step * i
        label = f"{v / 1e6:,.1f} M" if money else f"{v:,.0f}"
        body += [_rect(x + step * 0.18, top + plot_h - h, step * 0.64, h, RATING_COLOURS.get(rating, BLUE))]
        body += [
            _text(x + step / 2, top + plot_h - h - 4, label, anchor="middle", size=10),
            _text(x + step / 2, height - 6, rating, anchor="middle", weight="600"),
        ]
    return _svg(width, height, body, "exposure by rating" if money else "investees by rating")


def quartiles(labels: list[str], own: list, q1: list, median: list, q3: list, legend: tuple[str, str, str]) -> str:
    """The investee's score (dot) against the portfolio's interquartile range (bar) and median (tick)."""
    row, left, top = 26, 270, 6
    plot_w, plot_h = WIDTH - left - 16, row * len(labels)
    height = top + plot_h + 40
    body = _horizontal_axis(left, plot_w, top, plot_h, [0, 25, 50, 75, 100], top + plot_h + 14, _number)
    own, q1, median, q3 = (_values(v) for v in (own, q1, median, q3))
    for i, label in enumerate(labels):
        y = top + row * i + row / 2
        body.append(_text(left - 8, y + 4, _short(label, 44), anchor="end", size=9.5))
        if q1[i] is not None and q3[i] is not None:
            body.append(_rect(left + plot_w * q1[i] / 100, y - 6, plot_w * (q3[i] - q1[i]) / 100, 12, LIGHT_BLUE))
        if median[i] is not None:
            x = left + plot_w * median[i] / 100
            body.append(_line(x, y - 8, x, y + 8, BLUE, 2.5))
        if own[i] is not None:
            body.append(f'<circle cx="{left + plot_w * own[i] / 100:.1f}" cy="{y:.1f}" r="5" fill="{ORANGE}" stroke="#fff"/>')
    items = [(legend[0], ORANGE)] + ([(legend[1], LIGHT_BLUE), (legend[2], BLUE)] if any(v is not None for v in q1) else [])
    body += _legend(8, height - 6, items)
    return _svg(WIDTH, height, body, legend[0])
