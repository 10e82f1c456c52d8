"""The rules: plain functions that take plain values, raise DomainError, and log who did what."""
