"""Small charts drawn on the server as SVG: no chart library, nothing for the browser to
compute, no inline style (the CSP forbids it; `sala.css` colours `.chart`).

`bar_chart` draws counts over time (one bar a day), `hbar_chart` counts by category (a
status, a language, a country). Both take plain rows of (label, count) and return Markup;
the label of the whole chart is its accessible name."""

from collections import Counter
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup


def per_day(stamps, tz_name, max_days=366):
    """[(local date, count)] for naive-UTC timestamps, in a time zone, with no gaps (days
    without any count as 0), at most the last `max_days` days."""
    zone = ZoneInfo(tz_name)
    days = Counter(stamp.replace(tzinfo=UTC).astimezone(zone).date() for stamp in stamps)
    if not days:
        return []
    last = max(days)
    first = max(min(days), last - timedelta(days=max_days - 1))
    return [
        (first + timedelta(days=i), days.get(first + timedelta(days=i), 0))
        for i in range((last - first).days + 1)
    ]


def bar_chart(rows, label, height=140):
    """Vertical bars, one per row, left to right: counts per day."""
    if not rows:
        return Markup("")
    pad = 20
    width = max(240, 24 * len(rows))
    top = max(count for _key, count in rows) or 1
    bar = (width - pad) / len(rows)
    parts = [
        Markup(
            '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
            'aria-label="{label}"><title>{label}</title>'
        ).format(w=width, h=height + 20, label=label)
    ]
    for i, (key, count) in enumerate(rows):
        h = round((height - pad) * count / top)
        x = round(pad / 2 + i * bar, 1)
        parts.append(
            Markup(
                '<g><title>{key}: {count}</title><rect x="{x}" y="{y}" width="{bw}" '
                'height="{h}" class="bar"></rect>'
                '<text x="{tx}" y="{ty}" class="count">{count}</text></g>'
            ).format(
                key=_text(key),
                count=count,
                x=x,
                y=height - h,
                bw=round(bar * 0.8, 1),
                h=h,
                tx=round(x + bar * 0.4, 1),
                ty=height - h - 4,
            )
        )
    first, last = _text(rows[0][0]), _text(rows[-1][0])
    parts.append(
        Markup('<text x="{x0}" y="{y}" class="axis">{first}</text>').format(
            x0=pad / 2, y=height + 16, first=first
        )
    )
    if last != first:
        parts.append(
            Markup('<text x="{x}" y="{y}" class="axis end">{last}</text>').format(
                x=width - pad / 2, y=height + 16, last=last
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def hbar_chart(rows, label, width=420, row_height=22, label_width=150):
    """Horizontal bars, one per row, top to bottom: counts by category. Each row shows its
    label and its count as text too, so the chart reads without seeing the bars."""
    if not rows:
        return Markup("")
    top = max(count for _key, count in rows) or 1
    room = width - label_width - 40
    height = row_height * len(rows)
    parts = [
        Markup(
            '<svg class="chart hchart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
            'role="img" aria-label="{label}"><title>{label}</title>'
        ).format(w=width, h=height, label=label)
    ]
    for i, (key, count) in enumerate(rows):
        y = i * row_height
        w = round(room * count / top, 1)
        parts.append(
            Markup(
                "<g><title>{key}: {count}</title>"
                '<text x="{lx}" y="{ty}" class="key">{key}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" class="bar"></rect>'
                '<text x="{cx}" y="{ty}" class="count">{count}</text></g>'
            ).format(
                key=_text(key),
                count=count,
                lx=label_width - 6,
                x=label_width,
                y=y + 3,
                w=w,
                h=row_height - 6,
                cx=label_width + w + 4,
                ty=y + row_height - 7,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _text(key):
    return key.isoformat() if hasattr(key, "isoformat") else str(key)
