"""Readings: setting them up, the learner's dashboard, opening and finishing them, the per-process outline."""
