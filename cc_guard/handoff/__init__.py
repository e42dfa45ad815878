"""Handoff: a session's working state, written so it can be resumed or rebuilt.

Data flows one way: ``extract`` (facts from transcript records) and ``health``
(interrupted or not, from the engine's model, the hook log and the process table)
feed ``assemble.build``; ``render`` turns the result into Markdown, JSON and the
short injectable form, redacted by ``cc_guard.base.redact``; ``store`` writes it to
the state dir and keeps the one-time seeds; ``resume`` plans a resume. On the hook
path, ``cc_guard.runtime.handlers.handoff`` only asks ``freshness`` whether the
handoff is stale and hands the rebuild to a detached ``worker``. docs/handoff.md
describes the files and the locks.
"""
