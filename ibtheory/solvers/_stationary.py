"""Placeholder filled during the issue-13 refactor (generic home of code moved out of a paper)."""
__all__: list[str] = []
