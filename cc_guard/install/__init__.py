"""Wiring cc-guard into Claude Code (settings hooks, statusline, plugin) and git (hooks).

Everything here edits files that belong to the user, so every change is a merge
that keeps what is there, and every install can be taken out again exactly.
"""
