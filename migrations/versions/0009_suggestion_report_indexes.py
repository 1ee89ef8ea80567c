"""indexes for the digest's monthly figures (first responses and decisions by date)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestions_first_response_at'), ['first_response_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestions_decided_at'), ['decided_at'], unique=False)


def downgrade():
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_decided_at'))
        batch_op.drop_index(batch_op.f('ix_suggestions_first_response_at'))
