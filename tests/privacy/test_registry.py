"""Every column of every table is declared by some domain's privacy.py, as personal data or not.

A model that gains a column no domain has declared fails test_every_column_is_declared.
"""
from lms.core.extensions import db
from lms.privacy.registry import declarations


def test_every_column_is_declared(app):
    declared = {d.table: d for d in declarations()}
    missing = []
    for table in db.metadata.sorted_tables:
        names = declared[table.name].column_names() if table.name in declared else set()
        missing += [f"{table.name}.{column.name}" for column in table.columns if column.name not in names]
    assert not missing, f"declare these columns in their domain's privacy.py: {missing}"


def test_declarations_name_only_real_tables_and_columns(app):
    tables = {table.name: table for table in db.metadata.sorted_tables}
    stale = []
    for declaration in declarations():
        if declaration.table not in tables:
            stale.append(declaration.table)
            continue
        real = {column.name for column in tables[declaration.table].columns}
        stale += [f"{declaration.table}.{name}" for name in declaration.column_names() - real]
    assert not stale, f"these are declared but do not exist: {stale}"


def test_each_table_is_declared_once_and_no_column_is_both(app):
    tables = [d.table for d in declarations()]
    assert len(tables) == len(set(tables))
    for declaration in declarations():
        personal = [c.name for c in declaration.personal]
        assert len(personal) == len(set(personal)), declaration.table
        assert not set(personal) & set(declaration.not_personal), declaration.table
        for column in declaration.personal:
            assert column.what and column.purpose and column.retention, f"{declaration.table}.{column.name}"


def test_tables_holding_personal_data_say_who_sees_them(app):
    for declaration in declarations():
        if declaration.personal:
            assert declaration.who_sees, declaration.table
