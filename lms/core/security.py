"""Security headers on every response (Strict-Transport-Security in production), and no caching of private pages."""
from flask import current_app, request

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
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Invitation and reset links carry a token in the path: never send it to another site.
    headers.setdefault("Referrer-Policy", "same-origin")
    hsts_seconds = current_app.config.get("LMS_HSTS_SECONDS")
    if hsts_seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts_seconds)}")
    if request.endpoint != "lms.static":
        # Pages show personal data (reflections, progress): no shared or back-button cache keeps them.
        headers.setdefault("Cache-Control", "no-store")
    return response
