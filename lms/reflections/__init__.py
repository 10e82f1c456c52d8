"""Reflections and feedback: the review queue, the facilitator's progress view, and CSV exports."""
