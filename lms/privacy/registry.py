"""Every domain's personal-data declarations, gathered in one place."""
from __future__ import annotations

from lms.academies import privacy as academies
from lms.accounts import privacy as accounts
from lms.attendance import privacy as attendance
from lms.audit import privacy as audit
from lms.certificates import privacy as certificates
from lms.core import privacy as core
from lms.core.personal_data import TableDeclaration
from lms.lti import privacy as lti
from lms.notifications import privacy as notifications
from lms.paper import privacy as paper
from lms.privacy import privacy as retention
from lms.readings import privacy as readings
from lms.reflections import privacy as reflections

DOMAINS = {
    "accounts": accounts, "academies": academies, "readings": readings, "reflections": reflections,
    "attendance": attendance, "certificates": certificates, "notifications": notifications,
    "paper": paper, "audit": audit, "lti": lti, "core": core, "privacy": retention,
}


def declarations() -> list[TableDeclaration]:
    """Every declared table, in the order the notice shows them."""
    return [table for module in DOMAINS.values() for table in module.TABLES]


def by_table() -> dict[str, TableDeclaration]:
    return {table.table: table for table in declarations()}
