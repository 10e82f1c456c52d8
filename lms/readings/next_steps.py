""""What to do next" on a learner's dashboard: the few things that matter now, from where they stand.

The steps are facts (which reading, which session); the dashboard words them and shows their times in
the learner's zone. A revision asked for comes first, and is shown so that it cannot be missed.
"""
from __future__ import annotations

from dataclasses import dataclass

from lms.academies.models import LiveSession
from lms.readings.models import Reading

# Besides revisions asked for (all of them are listed), at most this many steps: a short list gets read.
MAX_OTHER_STEPS = 3


@dataclass(frozen=True)
class Step:
    # "revision": revise a reflection the facilitator returned; "certificate": download it;
    # "read": read an open reading (and reflect on it, when `reflect`); "reflect": write or submit the
    # reflection on a reading already finished; "join": a session happening now; "attend": the next session;
    # "readings-later": no reading is open yet; "sessions-over": nothing left but the certificate to come;
    # "check-zone": the learner has not said the zone the times are shown in is theirs (a host app's people,
    # and accounts made before the invitation asked).
    kind: str
    reading: Reading | None = None
    session: LiveSession | None = None
    reflect: bool = False  # "read": a reflection on it is still to write
    draft: bool = False  # "reflect" or "read": a draft is saved

    @property
    def urgent(self) -> bool:
        return self.kind == "revision"


def _to_write(state) -> bool:
    return state.reflection_status in ("not-started", "draft")


def next_steps(plan, *, has_certificate: bool, zone_confirmed: bool = True) -> list[Step]:
    """The learner's next steps in one academy (`plan` is a readings.services.AcademyPlan)."""
    steps = [Step("revision", state.reading) for state in plan.readings if state.reflection_status == "revision_requested"]
    others: list[Step] = []
    if has_certificate:
        others.append(Step("certificate"))
    if not zone_confirmed:
        others.append(Step("check-zone"))
    current = [state for state in plan.readings if state.is_open and not state.is_closed]
    unread = next((state for state in current if not state.is_finished), None)
    if unread is not None:
        draft = unread.reflection_status == "draft"
        others.append(Step("read", unread.reading, reflect=_to_write(unread), draft=draft))
    unwritten = next((state for state in current if state.is_finished and _to_write(state)), None)
    if unwritten is not None:
        others.append(Step("reflect", unwritten.reading, draft=unwritten.reflection_status == "draft"))
    session = plan.next_session
    if session is not None:
        others.append(Step("join" if session.is_happening(plan.now) else "attend", session=session))
        if plan.readings and not any(state.is_open for state in plan.readings):
            others.append(Step("readings-later", plan.readings[0].reading))
    elif not has_certificate and plan.academy.live_sessions:
        others.append(Step("sessions-over"))
    return steps + others[:MAX_OTHER_STEPS]
