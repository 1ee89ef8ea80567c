"""Whoosh's default codec with field lengths read from memory.

When a writer commits, Whoosh writes each posting together with its document's field length,
and looks the length up in the segment's length column one posting at a time, each lookup a
seek and an unpack in the column file: about a sixth of a rebuild's time. This codec's
per-document reader reads a field's length column once and answers from those bytes.

Whoosh keeps the codec of each segment in the index's table of contents (it is pickled by
class name), so this class's module and name must stay: an index written with it is read with
it. Renaming it makes existing indexes unreadable until ``flask search rebuild``.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length


class Codec(whoosh3.W3Codec):
    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _PerDocReader(storage, segment)


class _PerDocReader(whoosh3.W3PerDocReader):
    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._length_bytes: dict[str, bytes | None] = {}

    def _lengths(self, fieldname: str) -> bytes | None:
        if fieldname not in self._length_bytes:
            self._length_bytes[fieldname] = length_bytes(self, fieldname)
        return self._length_bytes[fieldname]

    def doc_field_length(self, docnum: int, fieldname: str, default: Any = 0) -> Any:
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        lengths = self._lengths(fieldname)
        if lengths is None:
            return default
        lbyte = lengths[docnum] if docnum < len(lengths) else 0
        return byte_to_length(lbyte) if lbyte else None  # None for no length, as Whoosh's own


def length_bytes(perdoc: Any, fieldname: str) -> bytes | None:
    """A segment's length column for ``fieldname`` as its raw bytes, one per document (None
    when the field has no lengths or the column is not the one-byte kind this knows)."""
    if not isinstance(perdoc, whoosh3.W3PerDocReader):
        return None
    column = perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    if column is None or not hasattr(column, "_basepos") or column._fixedlen != 1:
        return None
    doccount = perdoc.doc_count_all()
    count = min(column._count, doccount)
    return column._dbfile.get(column._basepos, count) + bytes(doccount - count)
