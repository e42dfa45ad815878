"""A fault-injecting fake Anthropic Messages API (``cc-guard chaos serve``).

``script`` reads and validates the answer script, ``faults`` parses random-fault
specs, ``messages`` turns an entry into Messages API events, ``server`` serves them
over HTTP (with ``proxy`` forwarding to a real upstream), ``log`` writes the
request log. Standard library only, so the server starts fast.
"""
