"""Personal data held by the LTI tool: who a platform says you are, and when you came from it."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_lti_platforms",
        about="Learning platforms (Moodle, Canvas, ...) allowed to send people to the LMS",
        personal=(),
        not_personal=("id", "name", "issuer", "client_id", "deployment_ids", "auth_url", "token_url", "keyset_url",
                      "enabled", "trusts_emails", "keyset_json", "keyset_fetched_at", "created_at"),
    ),
    TableDeclaration(
        table="lms_lti_tool_keys",
        about="The keys the LMS signs its messages to platforms with",
        personal=(),
        not_personal=("id", "kid", "private_pem", "created_at", "retired_at"),
    ),
    TableDeclaration(
        table="lms_lti_identities",
        about="Who you are on a learning platform that sends you to the LMS",
        personal=(
            P("sub", "the platform's own id for you", "to know you again the next time you come from it"),
            P("user_id", "your account here", "to sign you in when you come from the platform"),
            P("created_at", "when you first came from the platform", "to keep a record of the link"),
        ),
        not_personal=("id", "platform_id"),
        who_sees="Administrators.",
    ),
    TableDeclaration(
        table="lms_lti_contexts",
        about="Courses on learning platforms and the academy each one is tied to",
        personal=(),
        not_personal=("id", "platform_id", "context_id", "title", "academy_id", "memberships_url", "lineitems_url",
                      "ags_scopes", "created_at"),
    ),
    TableDeclaration(
        table="lms_lti_resource_links",
        about="Links placed in those courses, to an academy or one reading",
        personal=(),
        not_personal=("id", "platform_id", "resource_link_id", "academy_id", "reading_id", "created_at"),
    ),
    TableDeclaration(
        table="lms_lti_launches",
        about="Each time someone came from a learning platform, and whether they were let in",
        personal=(
            P("user_id", "who came", "so an administrator can see who a platform sent, and why someone was refused"),
            P("at", "when", "the same"),
        ),
        not_personal=("id", "platform_id", "outcome", "message_type"),
        who_sees="Administrators.",
    ),
    TableDeclaration(
        table="lms_lti_score_posts",
        about="Your results sent to your course's gradebook on its learning platform",
        personal=(
            P("user_id", "whose result", "to send it to the course's gradebook"),
            P("score", "the result (readings finished, reflections sent, sessions attended, certificate)",
              "the same"),
            P("posted_at", "when it was sent", "to send each result once"),
            P("created_at", "when it changed", "the same"),
        ),
        not_personal=("id", "context_id", "line_item", "maximum", "status", "attempts", "next_attempt_at"),
        who_sees="You, the course's teachers on its platform, and administrators.",
    ),
    TableDeclaration(
        table="lms_lti_one_time_values",
        about="Single-use values of a sign-in from a platform, kept a few minutes",
        personal=(),
        not_personal=("id", "kind", "value", "data", "expires_at"),
    ),
)


def export_person(person) -> dict:
    from lms.core.extensions import db
    from lms.core.personal_data import record
    from lms.lti.models import LtiIdentity, LtiLaunch, LtiPlatform, LtiScorePost

    identities = db.session.execute(
        db.select(LtiIdentity, LtiPlatform.issuer).join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
        .where(LtiIdentity.user_id == person.id).order_by(LtiIdentity.created_at)
    ).all()
    launches = db.session.execute(
        db.select(LtiLaunch, LtiPlatform.issuer).join(LtiPlatform, LtiPlatform.id == LtiLaunch.platform_id)
        .where(LtiLaunch.user_id == person.id).order_by(LtiLaunch.at)
    ).all()
    scores = db.session.scalars(
        db.select(LtiScorePost).where(LtiScorePost.user_id == person.id).order_by(LtiScorePost.created_at)
    ).all()
    return {
        "Learning platforms that know you": [
            {"platform": issuer, **record(identity, "sub", "created_at")} for identity, issuer in identities],
        "Times you came from a learning platform": [
            {"platform": issuer, **record(launch, "at", "outcome", "message_type")} for launch, issuer in launches],
        "Results sent to your course's gradebook": [
            record(post, "line_item", "score", "maximum", "status", "posted_at", "created_at") for post in scores],
    }


def erase_person(person) -> dict:
    """The link to the platform's id for the person, their launches and their results go."""
    from lms.core.extensions import db
    from lms.lti.models import LtiIdentity, LtiLaunch, LtiScorePost

    counts = {}
    for label, model in (("links to a learning platform", LtiIdentity), ("launches from a learning platform", LtiLaunch),
                         ("results for a course's gradebook", LtiScorePost)):
        counts[label] = db.session.execute(db.delete(model).where(model.user_id == person.id)).rowcount
    db.session.flush()
    return counts
