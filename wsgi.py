"""WSGI entry point: what gunicorn and `flask --app wsgi` load."""

from intranet import create_app

app = create_app()
