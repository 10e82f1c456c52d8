"""The learner's certificates page (being written)."""
