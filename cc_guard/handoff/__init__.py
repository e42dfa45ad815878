"""Handoff: a session's working state, written so it can be resumed or rebuilt.

Data flows one way: ``extract`` (facts from transcript records) and ``health``
(interrupted or not, from the engine's model, the hook log and the process table)
feed ``snapshot.build``; ``render`` turns the result into Markdown, JSON and the
short injectable form, redacted by ``redact``; ``store`` writes it to the state dir
and keeps the one-time seeds. On the hook path, ``hooks`` only asks ``freshness``
whether the handoff is stale and hands the rebuild to a detached ``worker``.
"""
