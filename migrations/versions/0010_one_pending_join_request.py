"""at most one pending join request per person and group

Two clicks at once on "ask to join" made two pending requests (the service checked,
then inserted). A partial unique index now decides; requests already doubled are
kept, the later ones marked withdrawn (nothing is deleted).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PENDING_ONLY = sa.text("state = 'pending'")


def upgrade():
    op.execute(
        "UPDATE group_join_requests SET state = 'withdrawn' WHERE state = 'pending' AND id NOT IN "
        "(SELECT min(id) FROM group_join_requests WHERE state = 'pending' GROUP BY group_id, user_id)"
    )
    op.create_index(
        'uq_group_join_requests_pending', 'group_join_requests', ['group_id', 'user_id'], unique=True,
        postgresql_where=PENDING_ONLY, sqlite_where=PENDING_ONLY,
    )


def downgrade():
    op.drop_index('uq_group_join_requests_pending', table_name='group_join_requests')
