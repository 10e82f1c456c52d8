"""The baseline for `make bench`: a one-route Flask app, served by gunicorn exactly like the LMS."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
