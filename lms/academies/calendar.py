"""Calendar files (.ics) for live sessions, so people can add them to their own calendar."""
from __future__ import annotations

from icalendar import Calendar, Event

from lms.academies.models import LiveSession
from lms.core.types import utcnow


def session_ics(live_session: LiveSession, page_url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//lms//Learning Academy//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    # A stable UID: re-downloading the file updates the same calendar entry instead of adding one.
    event.add("uid", f"live-session-{live_session.id}@lms")
    event.add("dtstamp", utcnow())
    event.add("dtstart", live_session.starts_at)
    event.add("dtend", live_session.ends_at)
    event.add("summary", f"{live_session.academy.title}: {live_session.title}")
    description = [live_session.academy.title]
    if live_session.join_url:
        description.append(f"Join: {live_session.join_url}")
        event.add("location", live_session.join_url)
    description.append(f"Programme page: {page_url}")
    event.add("description", "\n".join(description))
    event.add("url", live_session.join_url or page_url)
    calendar.add_component(event)
    return calendar.to_ical()
