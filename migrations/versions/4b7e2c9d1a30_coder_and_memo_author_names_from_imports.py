"""coder and memo author names from imported REFI-QDA projects

Revision ID: 4b7e2c9d1a30
Revises: 25ae7313c723
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7e2c9d1a30'
down_revision = '25ae7313c723'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coder_name', sa.String(length=120), nullable=True))
    with op.batch_alter_table('memos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_name', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('memos', schema=None) as batch_op:
        batch_op.drop_column('author_name')
    with op.batch_alter_table('codings', schema=None) as batch_op:
        batch_op.drop_column('coder_name')
