"""Security headers on every response (Strict-Transport-Security in production), and no caching of private pages."""
from flask import current_app, g, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response):
    headers = response.headers
    # A session begun by an LTI launch may be shown in a frame of its platform (lms/lti/routes.py sets the
    # origins); every other page in no frame at all.
    frame_origins = g.get("lms_frame_ancestors") if g else None
    # The one page that posts to another site (an LTI deep-linking answer to its platform) names that site.
    form_targets = g.get("lms_form_targets") if g else None
    policy = CONTENT_SECURITY_POLICY
    if form_targets:
        policy = policy.replace("form-action 'self'", "form-action 'self' " + " ".join(form_targets))
    if frame_origins:
        policy = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self' " + " ".join(frame_origins))
    else:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Invitation and reset links carry a token in the path: never send it to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    hsts_seconds = current_app.config.get("LMS_HSTS_SECONDS")
    if hsts_seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts_seconds)}")
    if request.endpoint != "lms.static":
        # Pages show personal data (reflections, progress): no shared or back-button cache keeps them.
        headers.setdefault("Cache-Control", "no-store")
    return response
