"""Admin pages for certificates (being written)."""
