"""The files cc-guard keeps in its state dir that more than one package reads.

One module per file, each the only reader and writer of its format: ``events``
(the hook event log), ``feeds`` (statusline feeds), ``errors`` (cc-guard's own
problem log). Standard library only: the hook path and the statusline use them.
"""
