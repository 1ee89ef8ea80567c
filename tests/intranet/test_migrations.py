"""Migrations are the schema's truth: upgrading an empty database gives exactly the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from intranet import create_app
from intranet.extensions import db
from tests.conftest import base_config


def _fresh_app(databases, tmp_path):
    return create_app(base_config(databases.create(), INDEX_DIR=str(tmp_path / "index")))


def test_upgrade_from_empty_equals_the_models(databases, tmp_path):
    app = _fresh_app(databases, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_downgrade_to_base_removes_every_table(databases, tmp_path):
    app = _fresh_app(databases, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()
