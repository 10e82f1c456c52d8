"""Administrator rights: given and taken away by an administrator only, on the Administrators page."""
import pytest
from sqlalchemy import select

from lms.accounts.services import revoke_admin
from lms.audit.models import AuditEvent
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from tests.factories import make_user
from tests.helpers import admin_signed_in, signed_in


def test_an_admin_gives_the_rights_to_an_existing_account_and_its_sessions_start_again(make_browser):
    admin = admin_signed_in(make_browser)
    tess = make_user("Tess Teacher", email="tess@example.org")
    tess_browser = signed_in(make_browser, tess)
    assert tess_browser.get("/admin/").status_code == 403

    refused = admin.post("/admin/admins", {"email": "nobody@example.org"})
    assert refused.status_code == 400 and "no account with this email" in refused.get_data(as_text=True)
    assert 'value="nobody@example.org"' in refused.get_data(as_text=True)  # what was typed stays
    assert admin.post("/admin/admins", {"email": " Tess@Example.org "}).status_code == 302
    db.session.expire_all()
    assert tess.is_admin
    again = admin.post("/admin/admins", {"email": "tess@example.org"})
    assert again.status_code == 400 and "already an administrator" in again.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "admin.grant")) == "tess@example.org"

    # Her open session began before the rights: it ends, and her next sign-in has them.
    assert tess_browser.get("/admin/").status_code == 302
    assert signed_in(make_browser, tess).get("/admin/").status_code == 200
    assert "Tess Teacher" in admin.get("/admin/admins").get_data(as_text=True)


def test_rights_are_taken_away_but_never_ones_own_nor_the_last_admins(make_browser):
    admin = admin_signed_in(make_browser)
    me = admin.user
    answer = admin.post(f"/admin/admins/{me.id}/revoke", follow_redirects=True)
    assert "cannot take away your own rights" in answer.get_data(as_text=True)
    other = make_user("Other Admin", email="other@example.org", is_admin=True)
    for _ in range(2):  # a double click takes them away once
        assert admin.post(f"/admin/admins/{other.id}/revoke").status_code == 302
    db.session.expire_all()
    assert not other.is_admin and me.is_admin
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.revoke")).all()) == 1


def test_the_last_admin_keeps_the_rights():
    only = make_user("Only Admin", email="only@example.org", is_admin=True)
    with pytest.raises(DomainError, match="at least one administrator"):
        revoke_admin(only, make_user("Helper", email="helper@example.org"))
    assert only.is_admin
