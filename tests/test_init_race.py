"""Two `sala init` at the same moment on an empty database (compose.yaml runs init on every
start, so two containers do this): migrations are applied by one process at a time, and the
other finds the schema ready. Real processes, on SQLite and on PostgreSQL."""

import os
import subprocess

import pytest
import sqlalchemy as sa
from support import scratch_postgres_database
from test_cli import SALA

ROUNDS = 3


def start_init(url, instance):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(
        SALA_DEV="1",
        SALA_INSTANCE_PATH=str(instance),
        SALA_SQLALCHEMY_DATABASE_URI=url,
        LANG="C.UTF-8",
    )
    return subprocess.Popen(
        [str(SALA), "init"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def init_twice_at_once(url, instance):
    processes = [start_init(url, instance) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        results.append((process.returncode, out, err))
    for code, out, err in results:
        assert code == 0 and "Traceback" not in err, err
        assert "The database is ready" in out
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        assert "registration" in sa.inspect(conn).get_table_names()
    engine.dispose()
    # One row per branch, none twice: the core's head and the Zoom plugin's.
    assert len(versions) == len(set(versions)) == 2


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_inits_at_once_on_an_empty_sqlite_file(tmp_path, round_):
    init_twice_at_once(f"sqlite:///{tmp_path / 'fresh.sqlite'}", tmp_path / "instance")


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_inits_at_once_on_an_empty_postgresql_database(tmp_path, round_):
    with scratch_postgres_database(os.environ["TEST_DATABASE_URL"], "sala_init") as url:
        init_twice_at_once(url, tmp_path / "instance")
