"""``cc-guard demo``: recorded Claude Code sessions replayed live in a throwaway world.

No Textual and no network here: :mod:`.world` builds the world and replays it,
:mod:`.scenarios` cuts the recorded transcripts into steps.
"""
