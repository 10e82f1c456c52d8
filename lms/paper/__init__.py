"""Learners on paper: printed reading packs with their codes, transcribed reflections and their scans."""
