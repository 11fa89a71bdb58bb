"""EXR frames (what Ray 3.2 adds with ``settings.exrExport``): a tone-mapped SDR video of them for display.

An EXR result is one ``.exr`` frame, a folder of them, or a ``.zip`` of them. Its frames are linear light;
:func:`exr_video` maps them to SDR the way lumakit shows HDR video (Hable's curve, BT.709) and writes a small
H.264 MP4 that every lumakit function accepts (grids, departure, the player, the report). The EXR files the
user keeps are never changed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from .. import _files
from ..errors import MediaError, RequestError
from ._probe import _run, ffmpeg_exe

EXR_MARK = "EXR, tone-mapped for display"  # beside HDR_MARK: said wherever EXR frames are shown
# linear light (EXR) -> Hable's curve -> BT.709 video levels
EXR_TONEMAP = (
    "format=gbrpf32le,tonemap=hable:desat=0,"
    "zscale=tin=linear:t=bt709:pin=bt709:p=bt709:min=gbr:m=bt709:rin=full:r=tv,format=yuv420p"
)


def is_exr(path: Path) -> bool:
    """True for an ``.exr`` file, a folder holding ``.exr`` files, or a ``.zip`` holding them."""
    if path.is_dir():
        return any(p.suffix.lower() == ".exr" for p in path.iterdir())
    if path.suffix.lower() == ".exr":
        return True
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(n.lower().endswith(".exr") for n in z.namelist())
    return False


def _natural(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def _by_name(p: Path) -> list[object]:
    return _natural(p.name)


def _frames_into(src: Path, folder: Path) -> int:
    """Copy the EXR frames of ``src`` into ``folder`` as ``f000001.exr``... in name order; their count."""
    if src.is_dir():
        names = sorted((p for p in src.iterdir() if p.suffix.lower() == ".exr"), key=_by_name)
        for i, p in enumerate(names, 1):
            shutil.copyfile(p, folder / f"f{i:06d}.exr")
        return len(names)
    if src.suffix.lower() == ".exr":
        shutil.copyfile(src, folder / "f000001.exr")
        return 1
    try:
        z = zipfile.ZipFile(src)
    except zipfile.BadZipFile as e:
        raise MediaError(src, f"not a zip of EXR frames ({e})") from None
    with z:
        members = sorted((n for n in z.namelist() if n.lower().endswith(".exr")), key=_natural)
        for i, name in enumerate(members, 1):  # our own names: nothing is written outside ``folder``
            with z.open(name) as f, open(folder / f"f{i:06d}.exr", "wb") as out:
                shutil.copyfileobj(f, out)
    return len(members)


def exr_video(frames: str | Path, *, fps: float = 24.0) -> Path:
    """A tone-mapped SDR H.264 MP4 of EXR frames (one ``.exr``, a folder of them, or a ``.zip``), at ``fps``.

    Cached by content under the preview cache, so asking again is free. Show it like any clip:
    ``lk.show_video(media.exr_video(result.path))``.

    Raises:
      MediaError: no EXR frames in it, or ffmpeg could not read them (named in the message).
      RequestError: ``fps`` not a positive number.
    """
    if not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and fps > 0):
        raise RequestError("fps", fps, "a positive number of frames per second")
    src = Path(frames).expanduser()
    if not src.exists():
        raise MediaError(src, "file not found")
    if not is_exr(src):
        raise MediaError(src, "no EXR frames in it (give one .exr, a folder of .exr files or a .zip of them)")
    key = _files.digest(src) if src.is_file() else _folder_digest(src)
    out = _files.cache_root() / _files.PREVIEWS / f"{key[:24]}-exr-{fps:g}.mp4"
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lumakit-exr-") as tmp:
        folder = Path(tmp)
        count = _frames_into(src, folder)
        if count == 0:
            raise MediaError(src, "no EXR frames in it")
        with _files.atomic_path(out) as dest:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                   "-framerate", f"{fps:g}", "-i", str(folder / "f%06d.exr"), "-vf", EXR_TONEMAP,
                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                   "-movflags", "+faststart", "-f", "mp4", str(dest)]  # fmt: skip
            proc = _run(cmd)
            if proc.returncode != 0 or not dest.is_file() or dest.stat().st_size == 0:
                lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
                detail = lines[-1].strip() if lines else f"exit status {proc.returncode}"
                raise MediaError(src, f"ffmpeg failed to tone-map {count} EXR frame(s) to video: {detail}")
    return out


def _folder_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir(), key=_by_name):
        if p.suffix.lower() == ".exr":
            h.update(p.name.encode() + b"\0" + _files.digest(p).encode())
    return h.hexdigest()
