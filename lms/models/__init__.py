"""The data: one module per domain, every table prefixed lms_."""
from .academies import ROLES, Academy, Enrolment, LiveSession
from .readings import Reading, ReadingProgress
from .reflections import Reflection, count_words
from .types import UTCDateTime, utcnow
from .users import AccountToken, FormSubmission, User

__all__ = [
    "ROLES",
    "Academy",
    "AccountToken",
    "Enrolment",
    "FormSubmission",
    "LiveSession",
    "Reading",
    "ReadingProgress",
    "Reflection",
    "UTCDateTime",
    "User",
    "count_words",
    "utcnow",
]
