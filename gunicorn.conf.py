"""gunicorn settings Ting ships with: gunicorn reads ./gunicorn.conf.py from where it starts.

Command-line flags (``-w``, ``-b``) still choose workers and address; this file only tunes
Python's garbage collector in each worker. A loaded Ting holds a few hundred thousand
long-lived objects (the app, compiled templates, SQLAlchemy's statement cache, the search
readers, the fragment caches); the collector's full passes walked all of them every few
requests, which showed as slow requests at random. Frozen after start-up, they are never
walked again; and a larger first generation runs the young passes less often (requests
make many short-lived objects, and SQLAlchemy's are freed by reference counting anyway).
"""

from __future__ import annotations

import gc
from typing import Any

GC_THRESHOLDS = (50_000, 20, 20)


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
