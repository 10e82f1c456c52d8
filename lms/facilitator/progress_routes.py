"""Progress view and exports (being written)."""
