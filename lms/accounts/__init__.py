"""People: accounts, signing in, invitation and reset links, a person's own account page."""
