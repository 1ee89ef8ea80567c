"""Signals between domains that must not import each other (DESIGN.md: dependencies point one way).

- ``departments_changed``: auth refreshed departments from the directory (login, sync);
  groups makes sure each department has its default open group.
- ``demo_loaded``: ``flask demo load`` put the demo staff in; other domains add demo content.
- ``demo_generating``: ``flask demo generate`` put a company of people in; the others fill it.
- ``database_restored``: ``flask backup restore`` replaced the database; search rebuilds its
  index from it (and returns the number of documents). Sent outside any transaction.

Receivers run in the sender's transaction: they flush, never commit (``database_restored``
excepted: it follows a replaced database, and its receiver commits what it does).
"""

from blinker import Namespace

_signals = Namespace()

departments_changed = _signals.signal("departments-changed")
demo_loaded = _signals.signal("demo-loaded")
#: ``flask demo generate``: sent with a :class:`intranet.generate.Plan` once the people are in.
demo_generating = _signals.signal("demo-generating")
#: ``flask backup restore``: the database was replaced (and migrated); receivers return a count or None.
database_restored = _signals.signal("database-restored")
