"""The demo programme: the real Peer Mentoring academy, with people at every stage of it."""
