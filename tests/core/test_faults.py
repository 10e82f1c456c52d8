"""Faults a real deployment meets: the database going away and coming back, huge uploads, crashes."""
import io
import socket
import threading

import pytest
from sqlalchemy.engine import make_url

from lms import create_app
from lms.config import TestingConfig
from tests.conftest import Browser
from tests.factories import enrol, make_academy, make_reading, make_user


class TcpProxy:
    """A loopback TCP relay to the real database that a test can cut and restore."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = None
        self._listener = None
        self._sockets = []
        self._lock = threading.Lock()

    def start(self):
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port or 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(16)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        """The database goes away: no new connections, and open ones are dropped."""
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass
            self._sockets.clear()


def _app_for(uri):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = uri
        TESTING = False  # show the error pages as production does, instead of raising

    return create_app(Config)


def _outage(database_uri):
    """An app on the test database that a test can take away and give back: (app, away, back)."""
    url = make_url(database_uri)
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        proxy.start()
        outage_app = _app_for(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
        return outage_app, proxy.cut, proxy.start
    # SQLite has no server to lose; what it meets in practice is another process holding the
    # database locked for longer than busy_timeout (a stuck backup, a long migration).
    import sqlite3

    holder = {}

    def away():
        holder["connection"] = sqlite3.connect(url.database, isolation_level=None)
        holder["connection"].execute("BEGIN EXCLUSIVE")

    def back():
        holder.pop("connection").rollback()

    return _app_for(database_uri), away, back


def test_database_going_away_gives_503_and_the_app_recovers(app, database_uri):
    user = make_user("Ingrid Solberg")
    academy = make_academy()
    enrol(user, academy)
    reading = make_reading(academy)
    outage_app, away, back = _outage(database_uri)
    browser = Browser(outage_app.test_client())
    assert browser.login(user).status_code == 302
    assert browser.get(f"/learn/readings/{reading.id}").status_code == 200

    away()
    try:
        response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
        assert response.status_code == 503
        html = response.get_data(as_text=True)
        assert "Back in a moment" in html and "Traceback" not in html
        assert response.headers["Retry-After"] == "30"
    finally:
        back()

    response = browser.post(f"/learn/readings/{reading.id}/finished", {"finished": "yes"})
    assert response.status_code == 302
    assert "You marked this reading finished" in browser.get(f"/learn/readings/{reading.id}").get_data(as_text=True)
    with outage_app.app_context():
        from lms.core.extensions import db

        db.engine.dispose()


def test_an_upload_over_the_limit_gets_413(browser, app):
    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy()
    browser.login(admin)
    browser.get(f"/admin/academies/{academy.id}/people")
    too_big = io.BytesIO(b"a" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = browser.post(f"/admin/academies/{academy.id}/people/import", {"roster": (too_big, "big.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 413
    assert "That file is too large" in response.get_data(as_text=True)
    assert "Files can be at most 5 MB." in response.get_data(as_text=True)


def test_the_too_large_page_names_the_limit_the_site_is_set_up_with(browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 512 * 1024)
    admin = make_user("Ada Admin", is_admin=True)
    academy = make_academy()
    browser.login(admin)
    browser.get(f"/admin/academies/{academy.id}/people")
    response = browser.post(f"/admin/academies/{academy.id}/people/import",
                            {"roster": (io.BytesIO(b"a" * (512 * 1024 + 1)), "big.csv")},
                            content_type="multipart/form-data")
    assert response.status_code == 413 and "Files can be at most 512 KB." in response.get_data(as_text=True)


def test_an_unexpected_error_shows_the_site_error_page_without_a_traceback(database_uri):
    crash_app = _app_for(database_uri)

    @crash_app.route("/crash-for-test")
    def crash():
        raise RuntimeError("secret internal detail")

    response = crash_app.test_client().get("/crash-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internal detail" not in body and "Traceback" not in body
    with crash_app.app_context():
        from lms.core.extensions import db

        db.engine.dispose()


@pytest.mark.parametrize(
    ("code", "title"), [(400, "Nothing was saved yet"), (403, "cannot open"), (404, "Page not found")]
)
def test_error_pages_are_in_the_site_style(browser, code, title):
    urls = {400: None, 403: "/admin/", 404: "/no-such-page"}
    if code == 400:
        response = browser.post("/auth/login", {"email": "x@example.org", "password": "x"}, csrf=False)
    else:
        if code == 403:
            browser.login(make_user("Learner"))
        response = browser.get(urls[code])
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert title in html and 'class="site-header"' in html
