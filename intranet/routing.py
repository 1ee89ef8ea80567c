"""URL converters: ids in paths are row ids, so one that no id column can hold is "not found"."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

#: The largest id of an INTEGER column (most tables; PostgreSQL refuses a larger value outright).
MAX_ID = 2**31 - 1
#: The largest id of a BIGINT column (the suggestions' random numbers).
MAX_BIG_ID = 2**63 - 1


class RowIdConverter(IntegerConverter):
    """``<int:…>``: an id of an INTEGER column, else 404.

    Werkzeug's own converter takes any number of digits; a larger one reached the database
    and failed there (SQLite: "Python int too large to convert to SQLite INTEGER"; PostgreSQL:
    "integer out of range"): a 500.
    """

    regex = r"\d{1,19}"
    limit = MAX_ID

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - Werkzeug's name
        kwargs.setdefault("max", self.limit)
        super().__init__(map, *args, **kwargs)


class BigIdConverter(RowIdConverter):
    """``<bigid:…>``: an id of a BIGINT column (suggestions are numbered at random up to 2**48)."""

    limit = MAX_BIG_ID


CONVERTERS = {"int": RowIdConverter, "bigid": BigIdConverter}
