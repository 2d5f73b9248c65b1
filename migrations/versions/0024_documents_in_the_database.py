"""Documents are kept in the database, not as files on the web host that took them: every web host serves
every document, and a backup of the database is a backup of them.

Each document's file is read from the documents folder (``PC_INSTANCE_DIR/documents``) into the new table,
its checksum checked. A file that is not there (or does not match) is named in the log and its document left
without content: its page then says the file is missing, and the rest of the upgrade goes on. The files are
left where they were, for an administrator to delete once the upgrade is known to be good.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 07:30:00
"""

import hashlib
import logging
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from provision_cycle.settings import Settings

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table(
        'document_contents',
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['document_id'], ['documents.id'], name=op.f('fk_document_contents_document_id_documents'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('document_id', name=op.f('pk_document_contents')),
    )
    folder = Settings.from_env().instance_dir / 'documents'
    bind = op.get_bind()
    contents = sa.table('document_contents', sa.column('document_id'), sa.column('content', sa.LargeBinary()))
    for document_id, stored_name, sha256 in bind.execute(sa.text('SELECT id, stored_name, sha256 FROM documents')):
        path = folder / stored_name
        content = path.read_bytes() if path.is_file() else None
        if content is None or hashlib.sha256(content).hexdigest() != sha256:
            log.warning('Document %s: its file %s is %s; it is left without content', document_id, path,
                        'missing' if content is None else 'not the one uploaded (its checksum differs)')
            continue
        bind.execute(contents.insert().values(document_id=document_id, content=content))
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('uq_documents_stored_name', type_='unique')
        batch_op.drop_column('stored_name')


def downgrade() -> None:
    """Each document's bytes written back out as a file under a new random name."""
    folder = Settings.from_env().instance_dir / 'documents'
    folder.mkdir(parents=True, exist_ok=True)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_name', sa.String(length=100), nullable=True))
    bind = op.get_bind()
    for (document_id,) in bind.execute(sa.text('SELECT id FROM documents')).all():
        content = bind.execute(
            sa.text('SELECT content FROM document_contents WHERE document_id = :id'), {'id': document_id}
        ).scalar()
        stored_name = secrets.token_hex(16)
        if content is not None:
            (folder / stored_name).write_bytes(content)
        bind.execute(
            sa.text('UPDATE documents SET stored_name = :name WHERE id = :id'), {'name': stored_name, 'id': document_id}
        )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.alter_column('stored_name', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint('uq_documents_stored_name', ['stored_name'])
    op.drop_table('document_contents')
