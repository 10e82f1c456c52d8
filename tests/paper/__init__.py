"""Tests of learners on paper."""
