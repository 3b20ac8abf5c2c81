"""Charts drawn on the server with pygal as inline SVG: no JavaScript, no external assets.

pygal embeds a ``<script>`` for its tooltip library (loaded from a CDN by default); the
tooltips are switched off and the script stripped, so the page's Content-Security-Policy
(``script-src 'self'``) has nothing to block. Every chart sits beside a table with the
same numbers, which is also what a screen reader reads.
"""
from __future__ import annotations

import re

import pygal
from markupsafe import Markup
from pygal.style import Style

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans Devanagari', sans-serif"
STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#1f2933",
    foreground_strong="#1f2933", foreground_subtle="#52606d", colors=("#2f6f4f", "#d9822b", "#3c6e9f"),
    font_family=FONT, label_font_family=FONT, major_label_font_family=FONT, title_font_family=FONT,
    legend_font_family=FONT, value_font_family=FONT, value_label_font_family=FONT,
    tooltip_font_family=FONT, no_data_font_family=FONT,
    label_font_size=13, major_label_font_size=13, legend_font_size=13, title_font_size=15,
    value_font_size=12, no_data_font_size=20,
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


def _config(**extra) -> dict:
    base = {"style": STYLE, "js": [], "disable_xml_declaration": True, "show_legend": False,
            "tooltip_fancy_mode": False, "width": 640, "height": 300, "margin": 12}
    return {**base, **extra}


def to_svg(chart, title: str) -> Markup:
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(title)}" ', 1)
    return Markup(svg)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def percent_bars(labels: list[str], values: list[float | None], *, title: str, no_data: str,
                 horizontal: bool = True) -> Markup:
    """Shares (0-1) as bars on a 0-100 % axis."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = max(160, 44 * len(labels) + 60) if horizontal else 300
    chart = kind(**_config(range=(0, 100), height=height, print_values=True, no_data_text=no_data,
                           value_formatter=lambda v: f"{v:.0f} %", truncate_label=40))
    chart.x_labels = labels
    chart.add(title, [_pct(v) for v in values])
    return to_svg(chart, title)


def percent_line(labels: list[str], values: list[float | None], *, title: str, no_data: str,
                 x_title: str | None = None) -> Markup:
    """A share over time (retention by days since the session), gaps where there is no data."""
    chart = pygal.Line(**_config(range=(0, 100), print_values=True, no_data_text=no_data, dots_size=5,
                                 value_formatter=lambda v: f"{v:.0f} %", x_title=x_title,
                                 allow_interruptions=True))
    chart.x_labels = labels
    chart.add(title, [_pct(v) for v in values])
    return to_svg(chart, title)


def count_bars(labels: list[str], series: list[tuple[str, list[int]]], *, title: str, no_data: str) -> Markup:
    """Counts per period (answers per day), stacked when there are several series."""
    chart = pygal.StackedBar(**_config(width=1000, height=260, show_legend=len(series) > 1, legend_at_bottom=True, no_data_text=no_data,
                                       x_label_rotation=0 if len(labels) <= 10 else 45,
                                       show_minor_x_labels=len(labels) <= 16,
                                       x_labels_major_every=max(1, len(labels) // 8)))
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return to_svg(chart, title)
