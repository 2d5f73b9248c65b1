"""Documents on a case: checked (type by content, not just by name; size), and kept in the database with a
checksum and an audit event, in one unit of work."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from ..core import Core
from ..errors import InvalidInput, NotFound
from ..models import Document, DocumentContent
from .reading import get_case_for

MAX_BYTES = 10 * 1024 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word and Excel
ZIP = b"PK\x03\x04"  # docx, xlsx, odt, ods


@dataclass(frozen=True)
class Kind:
    content_type: str
    signature: bytes | None  # None: text, checked by decoding


KINDS = {
    ".pdf": Kind("application/pdf", b"%PDF-"),
    ".docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".odt": Kind("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": Kind("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".doc": Kind("application/msword", OLE),
    ".xls": Kind("application/vnd.ms-excel", OLE),
    ".png": Kind("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": Kind("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": Kind("image/jpeg", b"\xff\xd8\xff"),
    ".csv": Kind("text/csv", None),
    ".txt": Kind("text/plain", None),
}
ALLOWED = "PDF, Word, Excel, OpenDocument, CSV, plain text, PNG or JPEG"


def safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[:200] or "document"


def check_upload(filename: str, content: bytes) -> Kind:
    """The document's kind, or ``InvalidInput`` saying what is wrong with it."""
    if not content:
        raise InvalidInput({"document": "The selected file is empty"})
    if len(content) > MAX_BYTES:
        raise InvalidInput({"document": "The selected file must be smaller than 10 MB"})
    kind = KINDS.get(Path(filename).suffix.lower())
    if kind is None:
        raise InvalidInput({"document": f"The selected file must be a {ALLOWED}"})
    if kind.signature is not None and not content.startswith(kind.signature):
        raise InvalidInput({"document": f"The selected file is not a real {Path(filename).suffix.lower()} file"})
    if kind.signature is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput({"document": "The selected text file must be saved as UTF-8 text"}) from None
    return kind


def attach_document(core: Core, case_id: int, actor_id: int, filename: str, stream: BinaryIO) -> int:
    content = stream.read(MAX_BYTES + 1)
    name = safe_filename(filename or "")
    kind = check_upload(name, content)
    with core.db.unit_of_work() as session:
        actor = core.engine.actor(session, actor_id)
        get_case_for(session, actor, case_id)
        case = core.engine.lock_case(session, case_id, None)
        document = Document(
            case_id=case_id,
            filename=name,
            content_type=kind.content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by_id=actor_id,
            uploaded_at=core.engine.clock(),  # the engine's clock, as its audit event has it
        )
        session.add(document)
        session.flush()
        session.add(DocumentContent(document_id=document.id, content=content))
        case.version += 1
        core.engine.note_case_event(
            session,
            case,
            actor_id=actor_id,
            action="attach_document",
            data={"document_id": document.id, "filename": name, "size": len(content), "sha256": document.sha256},
        )
        return document.id


def open_document(core: Core, case_id: int, document_id: int, actor_id: int) -> tuple[Document, bytes]:
    """A document of a case the actor may see, with its bytes."""
    with core.db.reading() as session:
        actor = core.engine.actor(session, actor_id)
        get_case_for(session, actor, case_id)
        found = session.execute(
            select(Document, DocumentContent.content)
            .outerjoin(DocumentContent, DocumentContent.document_id == Document.id)
            .where(Document.id == document_id, Document.case_id == case_id)
        ).first()
        if found is None:
            raise NotFound("There is no such document on this case")
        document, content = found
        if content is None:  # its file was not found when documents moved into the database (migration 0024)
            raise NotFound(f"The file of {document.filename} is missing: ask an administrator to restore it")
        return document, content
