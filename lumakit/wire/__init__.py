"""The Runware protocol both sides of the wire speak, pure: the client and the local backend import it.

- :mod:`.spec`: constants, field tables, output sizes and tiers, limits (one line each, marked as in
  ``docs/protocol.md``: [doc] Runware's documentation, [up] Luma upstream, [ours] lumakit's choice).
- :mod:`.checks`: the refusals both sides raise (an unknown field with a did-you-mean, a bad choice, ...).
- :mod:`.tasks`: reading a ``videoInference`` task, the one canonical JSON digest, the upload placeholder.
- :mod:`.answers`: statuses, error codes, reading answers, and the error object both ways.

Imports nothing of lumakit but :mod:`lumakit.errors` (``tests/test_architecture.py`` checks it).
"""
