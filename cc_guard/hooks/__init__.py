"""``cc-guard hook <Event>``: the one entry every installed Claude Code hook calls."""
