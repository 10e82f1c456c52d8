"""The data: one module per domain, every table prefixed lms_."""
from .academies import ROLES, Academy, Enrolment, LiveSession
from .attendance import ATTENDANCE_STATES, Attendance, AttendanceChange, AttendanceImport
from .audit import AuditEvent
from .certificates import Certificate, EligibilityException
from .mail import OutgoingMail
from .readings import Reading, ReadingProgress
from .reflections import Feedback, Reflection, ReflectionVersion, count_words
from .types import UTCDateTime, utcnow
from .users import AccountToken, FormSubmission, User

__all__ = [
    "ATTENDANCE_STATES",
    "Attendance",
    "AttendanceChange",
    "AttendanceImport",
    "AuditEvent",
    "Certificate",
    "EligibilityException",
    "ROLES",
    "Academy",
    "AccountToken",
    "Enrolment",
    "Feedback",
    "FormSubmission",
    "LiveSession",
    "OutgoingMail",
    "Reading",
    "ReadingProgress",
    "Reflection",
    "ReflectionVersion",
    "UTCDateTime",
    "User",
    "count_words",
    "utcnow",
]
