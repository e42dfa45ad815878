"""The dashboard: a Textual app over the transcript engine, checkpoints and handoffs.

The only package that imports Textual. ``app.make_app`` builds the app (tests
reuse it); ``screens/``, ``widgets/`` and ``dialogs/`` hold the UI, styles live
in ``styles/*.tcss``; ``actions.py``, ``alerts.py``, ``present.py`` and
``adapters.py`` are plain Python the UI calls (the blocking ones from workers).
This module imports nothing, so the non-Textual helpers load without Textual.
"""
