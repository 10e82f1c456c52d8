"""With RATELIMIT_STORAGE_URI pointing at Redis, the sign-in and certificate-check limits are shared between
app servers: a limit reached through one holds on another (the real Redis on 127.0.0.1:6379)."""
from __future__ import annotations

import re
import secrets

import pytest
import redis

from lms import create_app
from lms.config import TestingConfig
from lms.core.extensions import limiter
from tests.factories import PASSWORD, make_user

# A database number of its own, and a key prefix per test: nothing else using this Redis is touched.
REDIS_URL = "redis://127.0.0.1:6379/13"


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    return client


@pytest.fixture
def new_server(database_uri):
    """Makes app servers on the test database that count limits in Redis under a key prefix of this test's own.

    Each one sets the limiter up afresh (a new storage object, as a new process would have): what it sees of
    an earlier server's counts can only come from Redis.
    """
    client = redis_or_skip()
    prefix = f"lms-test-{secrets.token_hex(6)}"
    saved = dict(vars(limiter))  # the one limiter object is shared with the suite's own app: put back after

    class Shared(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_uri
        RATELIMIT_STORAGE_URI = REDIS_URL
        RATELIMIT_KEY_PREFIX = prefix
        LMS_LOGIN_ACCOUNT_RATE_LIMIT = "3 per hour"
        LMS_VERIFY_RATE_LIMIT = "3 per minute"

    yield lambda: create_app(Shared)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()
    vars(limiter).clear()
    vars(limiter).update(saved)


def login(app, email: str, password: str, address: str) -> int:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token}).status_code


def test_failed_sign_ins_counted_on_one_server_hold_on_another(new_server):
    user = make_user("Ingrid Solberg")
    one = new_server()
    assert [login(one, user.email, f"guess {n}", "203.0.113.66") for n in range(3)] == [200] * 3
    kept = [key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter("*lms-login-account*")]
    assert kept and all("lms-test-" in key for key in kept)  # in Redis, under this site's key prefix

    two = new_server()

    # The guessing address is stopped on the second server too, without its password being looked at.
    assert login(two, user.email, PASSWORD, "203.0.113.66") == 429
    # Not a lockout: another address still signs in there.
    assert login(two, user.email, PASSWORD, "198.51.100.7") == 302


def test_the_certificate_check_limit_is_shared_between_servers(new_server):
    one = new_server()
    assert [one.test_client().get("/verify").status_code for _ in range(3)] == [200] * 3

    two = new_server()

    assert two.test_client().get("/verify").status_code == 429
