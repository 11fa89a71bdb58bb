"""lumakit's version: a leaf every module may import (``from ._version import __version__``)."""

__version__ = "0.1.0"
