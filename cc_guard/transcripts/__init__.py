"""The transcript engine: Claude Code's JSONL transcripts -> one model per session.

Core module: never imports the TUI.
"""
