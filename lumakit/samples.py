"""The sample clips and stills that ship with lumakit, by name.

    import lumakit as lk
    r = client.modify(lk.samples.path("dolphin"), "a dolphin of blown glass", strength="flex_2")

Four 3.5 s clips (640x360, 24 fps, no audio): ``dolphin``, ``face``, ``street``, ``violinist``; and two
640x360 stills for image-to-video: ``frame`` (a lighthouse at dawn) and ``frame_last`` (the same at dusk).
An installed lumakit finds them inside the package (``lumakit/_samples/``); a source checkout (an editable
install) finds them in the repository's ``assets/`` folder.
"""

from __future__ import annotations

from pathlib import Path

from .errors import RequestError

SAMPLES: dict[str, str] = {
    "dolphin": "dolphin.mp4",
    "face": "face.mp4",
    "street": "street.mp4",
    "violinist": "violinist.mp4",
    "frame": "frame.png",
    "frame_last": "frame_last.png",
}

_HERE = Path(__file__).resolve().parent
_FOLDERS = (_HERE / "_samples", _HERE.parent / "assets")  # installed wheel, then a source checkout


def names() -> tuple[str, ...]:
    """The names :func:`path` accepts."""
    return tuple(SAMPLES)


def path(name: str) -> Path:
    """The file of the sample called ``name`` (see :func:`names`), e.g. ``path("dolphin")``.

    Raises:
      RequestError: an unknown name (the message lists the known ones).
      FileNotFoundError: the name is known but the file is missing (a broken install).
    """
    if not isinstance(name, str) or name not in SAMPLES:
        raise RequestError("name", name, SAMPLES)
    for folder in _FOLDERS:
        candidate = folder / SAMPLES[name]
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"sample {name!r} ({SAMPLES[name]}) is in neither {_FOLDERS[0]} nor {_FOLDERS[1]}: reinstall lumakit"
    )
