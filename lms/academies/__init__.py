"""Academies: their details, live sessions, enrolments and roster, and calendar files."""
