"""cc-guard: a session-resilience companion for Claude Code."""

__version__ = "0.1.0"
