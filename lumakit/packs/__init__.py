"""Results packs: finished results and their ledger rows in one zip, paid once, shared with anyone.

    lumakit pack class.zip --notebooks 00_first_edit,02_strength_dial    # the teacher, after a paid run
    lumakit unpack class.zip                                             # each learner: cache hits, no key
    LUMAKIT_SHARED_CACHE=/shared/class.zip                               # or read it in place, read-only

A pack holds each result's video and the ledger facts needed to serve it as a cache hit: the request as sent,
its key and take, the backend, the billed cost, the task and video UUIDs and dates; never a key, a result URL
or the maker's file paths. ``manifest.json`` lists every file with its SHA-256; a pack whose manifest or any
file does not check out is refused before anything is written. Results from a pack never count against a
budget (:mod:`lumakit._spending`): their maker paid.
"""

from __future__ import annotations

from .manifest import FORMAT, VERSION
from .reader import Pack, open_pack
from .unpack import UnpackReport, unpack
from .writer import PackReport, make_pack, select

__all__ = [
    "FORMAT",
    "VERSION",
    "Pack",
    "PackReport",
    "UnpackReport",
    "make_pack",
    "open_pack",
    "select",
    "unpack",
]
