"""gunicorn settings for the race tests: each worker says when it has loaded the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    """A file per ready worker, so the fixture waits until every worker can take a request."""
    Path(os.environ["RACES_READY_DIR"], str(worker.pid)).touch()
