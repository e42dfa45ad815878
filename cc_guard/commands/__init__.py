"""One module per CLI command (group). Each command returns an exit code."""
