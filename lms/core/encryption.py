"""Texts stored encrypted at rest (Fernet keys from LMS_DATA_KEY), so a dump or backup does not reveal them."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def parse_keys(raw: str | None) -> list[str]:
    """LMS_DATA_KEY: comma-separated Fernet keys; the first encrypts, every one decrypts (rotation)."""
    return [key.strip() for key in (raw or "").split(",") if key.strip()]


def check_keys(raw: str | None) -> None:
    """Refuse a missing or malformed LMS_DATA_KEY at start-up, saying what to do."""
    keys = parse_keys(raw)
    if not keys:
        raise RuntimeError(
            "LMS_DATA_KEY must be set: reflections and feedback are stored encrypted with it. Make one with "
            "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' "
            "(README: Configuration)."
        )
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise RuntimeError(
                "LMS_DATA_KEY holds a key that is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one as README: Configuration shows."
            ) from None


@lru_cache(maxsize=8)
def cipher(raw: str) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in parse_keys(raw)])


def current_cipher() -> MultiFernet:
    return cipher(current_app.config["LMS_DATA_KEY"])


def development_data_key(instance_path: str | Path) -> str:
    """A key kept in the instance folder (like the development SECRET_KEY), so texts stay readable after a restart."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data_key"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def encrypt(text: str, fernet: MultiFernet | None = None) -> str:
    return (fernet or current_cipher()).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, fernet: MultiFernet | None = None) -> str:
    try:
        return (fernet or current_cipher()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise RuntimeError(
            "A stored text cannot be decrypted with any key in LMS_DATA_KEY: the key that encrypted it is missing "
            "(README: Rotating the data key)."
        ) from None


class EncryptedText(TypeDecorator):
    """Text the database only ever sees encrypted. It cannot be searched, compared or measured in SQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return decrypt(value)


def encrypted_columns(metadata) -> list[tuple[str, str]]:
    """(table, column) for every EncryptedText column the models declare."""
    return [(table.name, column.name) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText)]


def rotate_keys(connection, metadata) -> int:
    """Re-encrypt every stored text with the first key of LMS_DATA_KEY; how many texts were rewritten.

    Read and written as plain text (not through EncryptedText), so each token is rotated without being
    turned into text in between.
    """
    fernet = current_cipher()
    rewritten = 0
    for table_name, column in encrypted_columns(metadata):
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, Text))
        rows = connection.execute(sa.select(table.c.id, table.c[column]).where(table.c[column].is_not(None))).all()
        for row_id, token in rows:
            try:
                rotated = fernet.rotate(token.encode("ascii")).decode("ascii")
            except InvalidToken:
                raise RuntimeError(
                    f"{table_name}.{column} row {row_id} cannot be decrypted with any key in LMS_DATA_KEY: keep the "
                    "old key after the new one until rotation has finished."
                ) from None
            connection.execute(table.update().where(table.c.id == row_id).values({column: rotated}))
            rewritten += 1
    return rewritten
