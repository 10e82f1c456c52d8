"""The one entry point for servers (gunicorn wsgi:app) and the flask CLI."""
from lms import create_app

app = create_app()
