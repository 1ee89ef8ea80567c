"""job leases: one host at a time runs a scheduled job

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 11:40:00

"""
from alembic import op
import sqlalchemy as sa

import intranet.types


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('taken_at', intranet.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', intranet.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )


def downgrade():
    op.drop_table('job_leases')
