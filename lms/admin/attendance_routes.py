"""Admin pages for attendance (being written)."""
