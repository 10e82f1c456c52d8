"""Mail: the outbox, composing messages from their templates, reminders and scheduled mail."""
