"""Small text helpers shared by every domain."""

import re
import unicodedata


def slugify(text: str) -> str:
    """ASCII slug: 'Human Resources' -> 'human-resources', 'Ødegård' -> 'degard'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
