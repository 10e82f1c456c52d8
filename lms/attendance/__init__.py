"""Attendance: the grid per live session, and importing Zoom and Teams reports."""
