"""Placeholder filled during the issue-16 engine work (time-reparametrized gradient flow)."""
__all__: list[str] = []
