"""Small charts drawn on the server as SVG: no chart library, nothing for the browser to
compute, no inline style (the CSP forbids it; `sala.css` colours `.chart`).

`bar_chart` draws counts over time (one bar a day), `hbar_chart` counts by category (a
status, a language, a country). Both take plain rows of (label, count) and return Markup;
the label of the whole chart is its accessible name. Words are never drawn inside the SVG:
there they would shrink with the drawing and be cut at its edges; they are HTML, at the
size of the page's text, wrapping like any other."""

from collections import Counter
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
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
    """Vertical bars, one per row, left to right: counts per day. The bars are SVG; what is
    read (the first and last day, the highest count) is HTML under it, at the page's own
    size: text inside an SVG shrinks with the drawing and is cut at its edges."""
    if not rows:
        return Markup("")
    pad = 20
    width = max(240, 24 * len(rows))
    top = max(count for _key, count in rows) or 1
    bar = (width - pad) / len(rows)
    parts = [
        Markup(
            '<div class="vchart"><svg class="chart" viewBox="0 0 {w} {h}" width="{w}" '
            'height="{h}" role="img" aria-label="{label}"><title>{label}</title>'
        ).format(w=width, h=height, label=label)
    ]
    for i, (key, count) in enumerate(rows):
        h = round((height - pad) * count / top)
        x = round(pad / 2 + i * bar, 1)
        parts.append(
            Markup(
                '<g><title>{key}: {count}</title><rect x="{x}" y="{y}" width="{bw}" '
                'height="{h}" class="bar"></rect></g>'
            ).format(key=_text(key), count=count, x=x, y=height - h, bw=round(bar * 0.8, 1), h=h)
        )
    parts.append(Markup("</svg>"))
    first, last = _text(rows[0][0]), _text(rows[-1][0])
    parts.append(
        Markup(
            '<p class="vchart-axis"><span>{first}</span><span class="vchart-top">{top}</span>'
            "<span>{last}</span></p></div>"
        ).format(
            first=first,
            last=last if last != first else "",
            top=_("Most in one day: %(count)d", count=top),
        )
    )
    return Markup("").join(parts)


def hbar_chart(rows, label):
    """Horizontal bars, one per row, top to bottom: counts by category. Each row is HTML
    (the label wraps at the page's text size, never cut) with its bar drawn in SVG and its
    count as text, so the chart reads without seeing the bars."""
    if not rows:
        return Markup("")
    top = max(count for _key, count in rows) or 1
    parts = [
        Markup('<figure class="hchart-figure" aria-label="{label}"><dl class="hchart">').format(
            label=label
        )
    ]
    for key, count in rows:
        parts.append(
            Markup(
                '<div class="hchart-row"><dt>{key}</dt><dd>'
                '<svg class="hchart-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
                'aria-hidden="true" focusable="false">'
                '<rect x="0" y="0" width="{w}" height="10" class="bar"></rect></svg>'
                '<span class="count">{count}</span></dd></div>'
            ).format(key=_text(key), count=count, w=round(100 * count / top, 1))
        )
    parts.append(Markup("</dl></figure>"))
    return Markup("").join(parts)


def _text(key):
    return key.isoformat() if hasattr(key, "isoformat") else str(key)
