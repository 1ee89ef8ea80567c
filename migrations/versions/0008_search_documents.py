"""search documents: the PostgreSQL search engine's tables (on PostgreSQL only)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00

tsvector and GIN exist on PostgreSQL only; on SQLite the search runs on Whoosh and these
tables are not made. They live in a schema of their own, ting_search, outside the app's models
(db.metadata): see search/pg_backend.py.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# A text's tsvector with its stop words leaving no gap in the positions, as Whoosh numbers
# them: the phrase "shift night" then finds "shift at night" (search/pg_backend.py).
PACKED_TSVECTOR = r"""
CREATE FUNCTION ting_search.search_packed_tsvector(config regconfig, content text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(quoted || ':' || positions, ' ')::tsvector, ''::tsvector)
    FROM (
        SELECT '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' AS quoted,
               string_agg(packed::text, ',' ORDER BY packed) AS positions
        FROM (
            SELECT lexeme, least(dense_rank() OVER (ORDER BY position), 16383) AS packed
            FROM unnest(to_tsvector(config, content)) AS t(lexeme, positions, weights),
                 unnest(positions) AS position
        ) AS numbered
        GROUP BY lexeme
    ) AS lexemes
$$
"""


def _on_postgresql():
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    if not _on_postgresql():
        return
    op.execute('CREATE SCHEMA ting_search')
    op.execute(PACKED_TSVECTOR)
    op.create_table('search_documents',
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('realm', sa.String(length=80), nullable=False),
    sa.Column('department', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=True),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('date', sa.DateTime(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('stamp', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('vector', postgresql.TSVECTOR(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_search_documents')),
    schema='ting_search'
    )
    op.create_index('ix_search_documents_vector', 'search_documents', ['vector'], unique=False, postgresql_using='gin', schema='ting_search')
    op.create_index('ix_search_documents_realm', 'search_documents', ['realm', 'restricted'], unique=False, schema='ting_search')
    op.create_index('ix_search_documents_date', 'search_documents', ['date'], unique=False, schema='ting_search')
    op.create_table('search_words',
    sa.Column('word', sa.Text(collation='C'), nullable=False),
    sa.Column('docs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    schema='ting_search'
    )


def downgrade():
    if not _on_postgresql():
        return
    op.drop_table('search_words', schema='ting_search')
    op.drop_index('ix_search_documents_date', table_name='search_documents', schema='ting_search')
    op.drop_index('ix_search_documents_realm', table_name='search_documents', schema='ting_search')
    op.drop_index('ix_search_documents_vector', table_name='search_documents', schema='ting_search')
    op.drop_table('search_documents', schema='ting_search')
    op.execute('DROP FUNCTION ting_search.search_packed_tsvector(regconfig, text)')
    op.execute('DROP SCHEMA ting_search')
