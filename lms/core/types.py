"""Column types shared by the models (timezone-aware UTC datetimes on every database), and CHECK texts."""
from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back an aware datetime (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """"status IN ('a', 'b')": a CHECK constraint's text, written from the tuple of states the model declares.

    The text must stay byte for byte what the migrations created: autogenerate does not compare CHECKs.
    """
    if any("'" in value for value in values):
        raise ValueError("a state name cannot contain a quote")
    quoted = ", ".join("'" + value + "'" for value in values)
    return f"{column} IN ({quoted})"
