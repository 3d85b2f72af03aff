"""Pictures drawn on the server as inline SVG (no script, no library): the eval profile against reference
models, and an SLA burn-down. Each chart has a title and a description for screen readers, and the page
shows the same numbers in a table beside it.

Pure functions: data in, markup out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from markupsafe import Markup

# Distinct at a glance and each at least 4.5:1 against white (text labels use the ink colour).
PALETTE = ("#0b4fa3", "#a35a00", "#5a2d82", "#16632b", "#4a4a4a", "#a3160b")
INK = "#1b1b1b"
GRID = "#8a8a8a"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    scores: Mapping[str, float]  # task -> rate in [0, 1]


def _open(width: float, height: float, chart_id: str, title: str) -> list[str]:
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'
        ),
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{INK}">{escape(content)}</text>'
    )


def _bar_width(value: float, width: float) -> float:
    return max(0.0, min(1.0, value)) * width


def profile_chart(series: Sequence[Series], *, chart_id: str = "profile") -> Markup:
    """Grouped horizontal bars: per task, the model under review first, then each reference model."""
    tasks = sorted({task for s in series for task in s.scores})
    if not tasks or not series:
        return Markup("")
    label_w, plot_w, bar_h, gap = 190, 420, 16, 14
    legend_h = 22 * len(series) + 10
    group_h = bar_h * len(series) + gap
    height = 30 + group_h * len(tasks) + 30 + legend_h
    width = label_w + plot_w + 70
    parts = _open(width, height, chart_id, "Capability profile against reference models")
    figures = "; ".join(
        f"{s.name}: " + ", ".join(f"{t} {s.scores[t]:.0%}" for t in tasks if t in s.scores) for s in series
    )
    parts.append(f'<desc id="{chart_id}-d">Success rate per task; {escape(figures)}</desc>')
    top = 20
    for tick in range(0, 101, 25):
        x = label_w + plot_w * tick / 100
        bottom = top + group_h * len(tasks)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(x, bottom + 16, f"{tick}%", anchor="middle"))
    for i, task in enumerate(tasks):
        y0 = top + i * group_h
        parts.append(
            _text(label_w - 8, y0 + bar_h * len(series) / 2 + 4, task.replace("_", " "), size=13, anchor="end")
        )
        for j, s in enumerate(series):
            if task not in s.scores:
                continue
            value = s.scores[task]
            y = y0 + j * bar_h
            w = _bar_width(value, plot_w)
            colour = PALETTE[j % len(PALETTE)]
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 3}" fill="{colour}"/>')
            parts.append(_text(label_w + w + 4, y + bar_h - 5, f"{value:.0%}", size=11))
    legend_top = top + group_h * len(tasks) + 30
    for j, s in enumerate(series):
        y = legend_top + j * 22
        colour = PALETTE[j % len(PALETTE)]
        parts.append(f'<rect x="{label_w}" y="{y}" width="14" height="14" fill="{colour}"/>')
        role = " (under review)" if j == 0 else " (reference)"
        parts.append(_text(label_w + 20, y + 12, s.name + role, size=13))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


@dataclass(frozen=True, slots=True)
class Clock:
    """One case's SLA clock: when it opened, when the SLA falls due, and whether a fix stopped it."""

    label: str
    opened_at: datetime
    due_at: datetime
    stopped_at: datetime | None  # fixed or published


def sla_burndown(clocks: Sequence[Clock], now: datetime, *, chart_id: str = "sla") -> Markup:
    """One bar per case: the SLA window from opening to due date, the part used so far filled, a line at now.
    A bar that runs past its due date (still unfixed) is drawn in the danger colour."""
    if not clocks:
        return Markup("")
    label_w, plot_w, bar_h, gap = 220, 400, 18, 12
    height = 24 + len(clocks) * (bar_h + gap) + 34
    width = label_w + plot_w + 190
    summary = []
    parts = _open(width, height, chart_id, "SLA burn-down: time used of each case's fix deadline")
    body = []
    for i, clock in enumerate(clocks):
        y = 20 + i * (bar_h + gap)
        window = (clock.due_at - clock.opened_at).total_seconds() or 1.0
        until = clock.stopped_at or now
        used = (until - clock.opened_at).total_seconds() / window
        left_days = (clock.due_at - now).total_seconds() / 86400
        overdue = clock.stopped_at is None and used > 1
        colour = "#a3160b" if overdue else ("#16632b" if clock.stopped_at else "#0b4fa3")
        total_days = window / 86400
        used_days = (until - clock.opened_at).total_seconds() / 86400
        if clock.stopped_at:
            state = f"fixed on day {used_days:.0f} of {total_days:.0f}"
        elif overdue:
            state = f"{-left_days:.0f} days overdue"
        else:
            state = f"day {used_days:.0f} of {total_days:.0f}, {left_days:.0f} left"
        summary.append(f"{clock.label}: {min(used, 9.99):.0%} of the window used, {state}")
        body.append(_text(label_w - 8, y + 13, clock.label[:30], size=13, anchor="end"))
        body.append(f'<rect x="{label_w}" y="{y}" width="{plot_w}" height="{bar_h}" fill="#ffffff" stroke="{GRID}"/>')
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{_bar_width(used, plot_w):.1f}" height="{bar_h}" fill="{colour}"/>'
        )
        body.append(_text(label_w + plot_w + 8, y + 13, state))
    bottom = 20 + len(clocks) * (bar_h + gap)
    for tick, name in ((0.0, "opened"), (0.5, "half-way"), (1.0, "due")):
        x = label_w + plot_w * tick
        body.append(_text(x, bottom + 12, name, anchor="middle"))
    parts.append(f'<desc id="{chart_id}-d">' + escape("; ".join(summary)) + "</desc>")
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


@dataclass(frozen=True, slots=True)
class ExposurePoint:
    """One inventory version of a project: when it was uploaded, and its exposure as known today."""

    label: str
    at: datetime
    matched: int  # advisories matching its components
    open: int  # of those, not covered by a not_affected or fixed decision
    kev: int  # of the open ones, in CISA's KEV catalogue


def exposure_over_time(points: Sequence[ExposurePoint], *, chart_id: str = "exposure") -> Markup:
    """Exposure over time: per version (by upload date, oldest left), a bar of the advisories matching it, the
    part still open filled, the KEV part in the danger colour, with the figures written above each bar."""
    if not points:
        return Markup("")
    left, plot_h, top, slot = 48, 180, 24, 96
    width = max(left + slot * len(points) + 24, left + 3 * 130 + 24)  # room for the legend
    height = top + plot_h + 92
    peak = max([p.matched for p in points] + [1])
    parts = _open(width, height, chart_id, "Exposure over time, by inventory version")
    summary = "; ".join(
        f"{p.label} uploaded {p.at:%Y-%m-%d}: {p.matched} matching advisories, {p.open} open, {p.kev} in KEV"
        for p in points
    )
    parts.append(f'<desc id="{chart_id}-d">{escape(summary)}</desc>')
    base = top + plot_h
    for tick in sorted({0, peak // 2, peak}):
        y = base - plot_h * tick / peak
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, str(tick), anchor="end"))
    bar_w = slot * 0.55
    for i, p in enumerate(points):
        x = left + slot * i + (slot - bar_w) / 2
        centre = x + bar_w / 2
        for value, colour, stroke in (
            (p.matched, "#ffffff", GRID),
            (p.open, PALETTE[0], None),
            (p.kev, PALETTE[5], None),
        ):
            h = plot_h * value / peak
            outline = f' stroke="{stroke}"' if stroke else ""
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"{outline}/>'
            )
        parts.append(_text(centre, base - plot_h * p.matched / peak - 6, f"{p.open}/{p.matched}", anchor="middle"))
        parts.append(_text(centre, base + 16, p.label[:14], size=12, anchor="middle"))
        parts.append(_text(centre, base + 32, f"{p.at:%Y-%m-%d}", size=11, anchor="middle"))
    legend = base + 58
    for j, (name, colour) in enumerate((("open", PALETTE[0]), ("open, in KEV", PALETTE[5]), ("decided", "#ffffff"))):
        x = left + j * 130
        parts.append(f'<rect x="{x}" y="{legend}" width="14" height="14" fill="{colour}" stroke="{GRID}"/>')
        parts.append(_text(x + 20, legend + 12, name))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above
