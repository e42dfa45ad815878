"""Small state files other features read and write (panes, ...), each with one owner module."""
