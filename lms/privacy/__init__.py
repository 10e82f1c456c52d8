"""Privacy: the registry of personal data each domain keeps, and the privacy notice made from it."""
