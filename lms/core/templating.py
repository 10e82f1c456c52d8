"""Template filters: times in the viewer's zone, countdowns, and sanitised Markdown."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import markdown as markdown_lib
import nh3
from flask import Flask, g
from markupsafe import Markup, escape

from lms.core.dates import format_local
from lms.core.timezones import TWELVE_HOUR_COUNTRIES, city_name, zone, zone_label, zone_table

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}


def viewer_zone() -> str:
    """The signed-in person's zone, else UTC. Kept in `g` when the person is looked up (accounts/identity.py,
    before any page renders): a page shows dozens of times, and each look-up would cost more than the formatting."""
    return g.get("lms_viewer_zone") or "UTC"


def viewer_clock() -> str:
    """'12' or '24': the clock the signed-in person reads (their choice, else their zone's country's habit).
    Kept in `g` beside the zone."""
    return g.get("lms_viewer_clock") or "24"


def format_time(moment: datetime | None, zone_name: str | None = None, style: str = "long") -> str:
    """An instant as a clock in `zone_name` (default: the viewer's) shows it, on the viewer's 12- or 24-hour
    clock; the styles are core/dates.py's."""
    if moment is None:
        return ""
    return format_local(moment, zone_name or viewer_zone(), style, viewer_clock())


def day_shift(moment: datetime, zone_name: str, reference_zone: str) -> str:
    """'(next day)' when the reference zone's date differs from the viewer's, so times are not misread."""
    here = moment.astimezone(zone(zone_name)).date()
    there = moment.astimezone(zone(reference_zone)).date()
    if there > here:
        return " (next day)"
    if there < here:
        return " (previous day)"
    return ""


def countdown(moment: datetime, now: datetime) -> str:
    """'in 6 days, 3 hours' / 'in 25 minutes' / 'now'."""
    seconds = int((moment - now).total_seconds())
    if seconds <= 0:
        return "now"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours and days < 7:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (minutes or not parts):
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return "in " + ", ".join(parts)


@lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Markdown to HTML, then sanitised: the author's text can never inject script or styles.

    Cached by the text itself: a reading is rendered once, not on every view (an edit is new text).
    """
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


@lru_cache(maxsize=1)
def zone_datalist() -> Markup:
    """The suggestions under every time-zone box ('Oslo, Norway'), made once: about 400 zones."""
    options = "".join(
        f'<option value="{escape(zone.label)}">{escape(zone.note)}</option>' if zone.note
        else f'<option value="{escape(zone.label)}"></option>'
        for zone in zone_table().values()
    )
    return Markup(f'<datalist id="zone-options">{options}</datalist>')


@lru_cache(maxsize=1)
def twelve_hour_countries() -> str:
    """The names of the countries that read a 12-hour clock, for the zone box's script ('|' between them)."""
    return "|".join(sorted({zone.country for zone in zone_table().values()
                            if zone.country_code in TWELVE_HOUR_COUNTRIES}))


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_time, "lms_time")
    app.add_template_filter(render_markdown, "lms_markdown")
    app.add_template_filter(city_name, "lms_city")
    app.add_template_filter(zone_label, "lms_zone_label")
    app.add_template_global(viewer_clock, "lms_viewer_clock")
    app.add_template_global(zone_datalist, "lms_zone_datalist")
    app.add_template_global(twelve_hour_countries, "lms_twelve_hour_countries")
    app.add_template_global(countdown, "lms_countdown")
    app.add_template_global(day_shift, "lms_day_shift")
    app.add_template_global(viewer_zone, "lms_viewer_zone")
