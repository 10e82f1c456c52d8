"""Personal data held by privacy itself: none (the counts kept after expiry name no one)."""
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_retained_counts",
        about="Totals kept after an academy's reflections and reading progress are deleted",
        personal=(),
        not_personal=("id", "academy_id", "reading_id", "kind", "count"),
    ),
)


def export_person(person) -> dict:
    return {}


def erase_person(person) -> dict:
    return {}
