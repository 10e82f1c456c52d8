"""Domain exceptions that the web and CLI faces turn into messages."""


class DomainError(Exception):
    """A rule said no; the message is written for the person who asked."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    pass


class RosterError(DomainError):
    """A roster file was refused; `problems` lists (line number, reason) for every bad row."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"The roster was not imported: {len(problems)} problem(s) found.")
        self.problems = problems
