"""The report page's chart: questions per day stacked by language, the refusal rate as a line,
the days the knowledge changed as dashed marks. Inline SVG, written here (no plotting library).

Colours are CSS variables (`--lang-0` ... , `--rate`, `--mark`, `--grid`, `--fg`) that the page
sets for light and dark mode; every bar and point carries its numbers as data-* attributes and
a <title> (the tooltip), so a test or a screen reader gets the figures without measuring.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date

from .report import Day, Reload

WIDTH, HEIGHT = 960, 360
LEFT, RIGHT, TOP, BOTTOM = 60, 64, 28, 64  # room for the axes, their labels and titles
MAX_X_LABELS = 14
GRID_LINES = 4  # both axes share them: 0, 25, 50, 75, 100 % on the right
PALETTE_SIZE = 6  # the page defines --lang-0 .. --lang-5; more languages reuse them


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1): the axis top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def short_day(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


def daily_chart(days: Sequence[Day], reloads: Sequence[Reload], languages: Sequence[str]) -> str:
    """The SVG element (a string); an empty string when there are no days."""
    if not days:
        return ""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = nice_ceiling(math.ceil(max(d.questions for d in days) / GRID_LINES))  # whole numbers on the axis
    top_count = step * GRID_LINES
    slot = plot_w / len(days)
    bar = max(1.0, slot * 0.72)
    dot = max(1.5, min(3.5, slot * 0.22))  # points that do not run together over three months

    def x_mid(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y_count(n: float) -> float:
        return TOP + plot_h * (1 - n / top_count)

    def y_rate(rate: float) -> float:
        return TOP + plot_h * (1 - rate)

    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-labelledby="chart-title" preserveAspectRatio="xMidYMid meet">',
           '<title id="chart-title">Questions per day by language, and the share refused</title>']
    # grid and the left axis (questions)
    for k in range(GRID_LINES + 1):
        y = y_count(step * k)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{step * k}</text>')
        out.append(f'<text class="tick rate-tick" x="{WIDTH - RIGHT + 8}" y="{y + 4:.1f}">{100 * k // GRID_LINES}%</text>')
    mid_y = TOP + plot_h / 2
    out.append(f'<text class="axis-title" x="16" y="{mid_y:.1f}" transform="rotate(-90 16 {mid_y:.1f})" '
               'text-anchor="middle">Questions</text>')
    right_x = WIDTH - 14
    out.append(f'<text class="axis-title" x="{right_x}" y="{mid_y:.1f}" transform="rotate(90 {right_x} {mid_y:.1f})" '
               'text-anchor="middle">Refused (% of the day)</text>')
    # stacked bars
    colour = {lang: i % PALETTE_SIZE for i, lang in enumerate(languages)}
    for i, d in enumerate(days):
        counts = dict(d.by_lang)
        base = 0
        for lang in languages:
            n = counts.get(lang, 0)
            if not n:
                continue
            y_top, y_bottom = y_count(base + n), y_count(base)
            out.append(f'<rect class="bar lang-{colour[lang]}" x="{x_mid(i) - bar / 2:.1f}" y="{y_top:.1f}" '
                       f'width="{bar:.1f}" height="{y_bottom - y_top:.1f}" data-day="{d.day.isoformat()}" '
                       f'data-lang="{html.escape(lang)}" data-count="{n}">'
                       f'<title>{short_day(d.day)}: {n} in {html.escape(lang)}</title></rect>')
            base += n
    # refusal rate: a line broken over days without questions
    segments: list[list[str]] = [[]]
    points = []
    for i, d in enumerate(days):
        if not d.questions:
            segments.append([])
            continue
        x, y = x_mid(i), y_rate(d.refusal_rate)
        segments[-1].append(f"{x:.1f},{y:.1f}")
        points.append(f'<circle class="rate-point" cx="{x:.1f}" cy="{y:.1f}" r="{dot:.1f}" data-day="{d.day.isoformat()}" '
                      f'data-rate="{d.refusal_rate:.4f}" data-refused="{d.refused}" data-questions="{d.questions}">'
                      f'<title>{short_day(d.day)}: {d.refused} of {d.questions} refused ({d.refusal_rate:.0%})</title>'
                      '</circle>')
    out.extend(f'<polyline class="rate-line" points="{" ".join(s)}"/>' for s in segments if len(s) > 1)
    out.extend(points)
    # knowledge reloads, one mark per day
    index = {d.day: i for i, d in enumerate(days)}
    marked: dict[date, list[Reload]] = {}
    for r in reloads:
        if r.day in index:
            marked.setdefault(r.day, []).append(r)
    for day, items in marked.items():
        x = LEFT + slot * index[day]  # the start of the day: questions from then on had the new knowledge
        versions = ", ".join(html.escape(r.version) for r in items)
        out.append(f'<g class="reload" data-day="{day.isoformat()}"><title>{short_day(day)}: knowledge updated to {versions}'
                   f'</title><line class="reload-line" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 6}" y2="{TOP + plot_h}"/>'
                   f'<text class="reload-label" x="{x + 3:.1f}" y="{TOP - 10}">updated</text></g>')
    # the x axis: at most MAX_X_LABELS day labels, evenly spaced
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    axis_y = TOP + plot_h
    out.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{axis_y}" y2="{axis_y}"/>')
    for i, d in enumerate(days):
        if i % every == 0:
            out.append(f'<text class="tick" x="{x_mid(i):.1f}" y="{axis_y + 18}" text-anchor="middle">{short_day(d.day)}</text>')
    out.append(f'<text class="axis-title" x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 12}" text-anchor="middle">Day (UTC)</text>')
    out.append("</svg>")
    return "\n".join(out)
