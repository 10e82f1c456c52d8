"""Certificates of attendance: eligibility, issuing, storage, downloads and public verification."""
