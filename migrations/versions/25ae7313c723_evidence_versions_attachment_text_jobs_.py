"""evidence versions, attachment text jobs and withholding, unique codings

Revision ID: 25ae7313c723
Revises: 9f4e288b7424
Create Date: 2026-12-01 21:53:16.718875

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '25ae7313c723'
down_revision = '9f4e288b7424'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence_attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_status', sa.String(length=10), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('text_error', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('withheld', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint('valid_text_status',
                                         "text_status in ('none', 'pending', 'ready', 'failed')")
    # Files whose text was read at upload time (before background extraction) are ready.
    op.execute("UPDATE evidence_attachments SET text_status = 'ready' "
               "WHERE kind IN ('pdf', 'docx', 'odt', 'txt')")

    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    # Duplicate codings made by parallel submits before the constraint existed: keep the oldest of each.
    op.execute("""
        DELETE FROM codings WHERE id NOT IN (
            SELECT MIN(id) FROM codings GROUP BY item_id, code_id, COALESCE(start_offset, -1),
                COALESCE(end_offset, -1), COALESCE(coder_id, 0), COALESCE(sample_id, 0))
    """)
    op.create_index('uq_codings_identity', 'codings', [
        'item_id', 'code_id', sa.text('coalesce(start_offset, -1)'), sa.text('coalesce(end_offset, -1)'),
        sa.text('coalesce(coder_id, 0)'), sa.text('coalesce(sample_id, 0)')], unique=True)


def downgrade():
    op.drop_index('uq_codings_identity', table_name='codings')
    with op.batch_alter_table('evidence_items', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('evidence_attachments', schema=None) as batch_op:
        batch_op.drop_constraint('valid_text_status', type_='check')
        batch_op.drop_column('withheld')
        batch_op.drop_column('text_error')
        batch_op.drop_column('text_status')
