"""gunicorn settings for the race and fault suites (tests/served.py).

Each worker leaves a file named by its pid in ``$TEST_SERVER_HOME/ready`` once it has loaded
the app, and one in ``busy`` holding the path of the request it is handling, while it does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _home(sub: str, worker: Any) -> Path:
    return Path(os.environ["TEST_SERVER_HOME"], sub, str(worker.pid))


def post_worker_init(worker: Any) -> None:
    _home("ready", worker).touch()


def pre_request(worker: Any, req: Any) -> None:
    _home("busy", worker).write_text(req.path)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    _home("busy", worker).unlink(missing_ok=True)
