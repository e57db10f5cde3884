"""The Alembic migrations build exactly the schema the models describe, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL: an instance upgraded by `sala init` is the one the code
expects. After a model change, regenerate the migration (`flask --app wsgi db migrate`)."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from support import scratch_postgres_database

from app import create_app
from app.extensions import db
from app.schema import upgrade_database

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


def schema_diff(url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade_database(db.engine)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    return diff, tables


def test_migrations_match_the_models_on_sqlite(tmp_path):
    diff, tables = schema_diff(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert diff == [], "migrations and models differ; regenerate the migration:\n" + "\n".join(
        map(str, diff)
    )


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")
def test_migrations_match_the_models_on_postgresql():
    base = os.environ["TEST_DATABASE_URL"]
    with scratch_postgres_database(base, "sala_migrate") as url:
        diff, tables = schema_diff(url)
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert diff == [], "migrations and models differ; regenerate the migration:\n" + "\n".join(
        map(str, diff)
    )
