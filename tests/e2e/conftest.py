"""The browser journey's set-up: its own server, SMTP inbox and Chromium; independent of tests/conftest.py.

Run with `make e2e`, which passes `--rootdir tests/e2e --confcutdir tests/e2e -c /dev/null` so that the unit
suite's conftest (and its autouse database fixture) is not loaded here.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Inbox,
    PageCheck,
    axe_script,
    check_page,
    free_port,
    start_server,
    temporary_directory,
    write_report,
)


def pytest_configure(config):
    config.addinivalue_line("markers", "journey: one step of the journey; later steps are skipped if it fails")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)


# --- one journey per module: a failed step skips the steps after it in its module -------------

# module path -> the step that failed there (test_journey.py and test_lti_journey.py are separate journeys).
_FAILED_STEP = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and item.get_closest_marker("journey") is not None:
        item.session.stash.setdefault(_FAILED_STEP, {}).setdefault(str(item.path), item.name)
        journey = item.funcargs.get("journey")
        if journey is not None:
            journey.screenshot_failure(item.name)
    return report


def pytest_runtest_setup(item):
    if item.get_closest_marker("journey") is not None:
        failed = item.session.stash.get(_FAILED_STEP, {}).get(str(item.path))
        if failed is not None:
            pytest.skip(f"an earlier step of the journey failed: {failed}")


# --- the world the journey runs in -----------------------------------------------------------

@pytest.fixture(scope="session")
def inbox():
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()
    handler.save(ARTIFACTS / "mail.txt")


@pytest.fixture(scope="session")
def server(inbox):
    with temporary_directory() as work_dir:
        server = start_server(Path(work_dir), inbox.port, ARTIFACTS / "server.log")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium package.")
    axe_script()  # fail early, with the fix, when axe-core is not installed
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Journey:
    """What the steps share: one browser context per person, the pages checked, and facts found on the way."""

    def __init__(self, server, inbox, chromium):
        self.server = server
        self.inbox = inbox
        self.chromium = chromium
        self.contexts = {}
        self.pages = {}
        self.checks: dict[str, PageCheck] = {}
        self.page_errors: list[str] = []
        self.last_page = None
        self.facts: dict = {}

    def page(self, person: str, viewport: dict = DESKTOP, timezone_id: str | None = None):
        """The one tab of this person, opened the first time in a context of their own (own cookies), on a
        device whose clock is in `timezone_id` (default: this machine's)."""
        if person not in self.pages:
            # bypass_csp: the site's CSP ("script-src 'self'") would block axe-core's injected script.
            # helpers.CSP_BLOCKED_MARKUP looks for markup the CSP would block, since the browser no longer does.
            context = self.chromium.new_context(
                bypass_csp=True, viewport=viewport, accept_downloads=True, locale="en-GB",
                is_mobile=viewport is PHONE, has_touch=viewport is PHONE,
                **({"timezone_id": timezone_id} if timezone_id else {}),
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("pageerror", lambda error, who=person: self.page_errors.append(f"{who}: {error}"))
            self.contexts[person] = context
            self.pages[person] = page
        self.last_page = self.pages[person]
        return self.pages[person]

    def without_javascript(self, person: str):
        """A second tab for `person`, signed in as in their first (same cookies), with JavaScript off."""
        first = self.contexts[person]
        context = self.chromium.new_context(
            bypass_csp=True, java_script_enabled=False, viewport=first.pages[0].viewport_size,
            locale="en-GB", storage_state=first.storage_state(),
        )
        context.set_default_timeout(15_000)
        self.contexts[f"{person} without JavaScript"] = context
        return context.new_page()

    def check(self, page, step: str) -> PageCheck:
        self.last_page = page
        result = check_page(page, step)
        self.checks[step] = result
        write_report(self.checks)
        return result

    def screenshot_failure(self, test_name: str) -> None:
        if self.last_page is None or self.last_page.is_closed():
            return
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
        try:
            self.last_page.screenshot(path=str(ARTIFACTS / f"failure-{name}.png"), full_page=True, timeout=5000)
        except Exception:  # noqa: BLE001 (a failure screenshot must never hide the failure itself)
            pass

    def close(self):
        for context in self.contexts.values():
            context.close()


@pytest.fixture(scope="session")
def journey(server, inbox, chromium):
    walk = Journey(server, inbox, chromium)
    yield walk
    walk.close()
