"""What bench/web serves with gunicorn: Ting, and beside it at /_floor the framework floor.

The floor is a bare Flask app doing one indexed query (a user by primary key, through the
same SQLAlchemy driver and database) and returning a line of text: what any Flask page on
this server costs at least. Both run in the same gunicorn workers, so their figures compare.
"""

from __future__ import annotations

import os
import random

from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from intranet import create_app
from intranet.config import with_driver


def floor_app(database_url: str) -> Flask:
    app = Flask("floor")
    engine = create_engine(with_driver(database_url), pool_pre_ping=True)
    top = 0

    @app.get("/")
    def one_query() -> str:
        nonlocal top
        if not top:
            with engine.connect() as conn:
                top = int(conn.execute(text("SELECT max(id) FROM users")).scalar() or 1)
        with engine.connect() as conn:
            name = conn.execute(
                text("SELECT display_name FROM users WHERE id = :id"),
                {"id": random.randint(1, top)},  # noqa: S311 - not a secret
            ).scalar()
        return f"{name}\n"

    return app


ting = create_app()
application = DispatcherMiddleware(ting.wsgi_app, {"/_floor": floor_app(os.environ["INTRANET_DATABASE_URL"])})
if os.environ.get("BENCH_PROFILE_DIR"):  # a cProfile file per request, to see where server time goes
    from werkzeug.middleware.profiler import ProfilerMiddleware

    application = ProfilerMiddleware(application, profile_dir=os.environ["BENCH_PROFILE_DIR"], stream=None)
