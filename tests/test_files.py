"""The one leaf for files: cache root, file identity, content digest, atomic writes, media types."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from lumakit import _files


def test_cache_root_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path / "here"))
    assert _files.cache_root() == tmp_path / "here"
    monkeypatch.delenv("LUMAKIT_CACHE_DIR")
    assert _files.cache_root().name == "lumakit"


def test_every_cache_folder_lives_under_the_one_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lumakit.cache import default_cache_dir
    from lumakit.local.store import default_data_dir
    from lumakit.media import preview_dir

    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    assert preview_dir().parent == tmp_path and default_data_dir().parent == tmp_path


def test_many_threads_writing_one_path_at_once_never_collide(tmp_path: Path) -> None:
    target = tmp_path / "out" / "index.html"
    payloads = [bytes([i]) * (64 * 1024 + i) for i in range(24)]
    start = threading.Barrier(len(payloads))
    errors: list[BaseException] = []

    def write(data: bytes) -> None:
        start.wait()
        try:
            for _ in range(5):
                _files.write_bytes(target, data)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in payloads  # one writer's whole file, never a mix or a part
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.html"]  # no temp files left


#: Modules that move a finished file into place themselves, and why that is atomic too.
OWN_MOVES = {
    "_files.py": "atomic_path: the one home",
    "packs/unpack.py": "moves files verified in a mkdtemp staging folder under the cache root into the cache",
}


def test_only_the_files_leaf_moves_a_written_file_into_place() -> None:
    """Every module that writes a file goes through ``_files.atomic_path`` (or its write_bytes/write_text):
    none renames a temp file of its own (a pid-only temp name collides between two threads of a kernel)."""
    import ast

    pkg = Path(_files.__file__).parent
    movers = {("os", "replace"), ("os", "rename"), ("shutil", "move")}
    moves = []
    for path in sorted(pkg.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            func = node.func if isinstance(node, ast.Call) else None
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and ((func.value.id, func.attr) in movers)
            ):
                moves.append(str(path.relative_to(pkg)))
    assert sorted(set(moves)) == sorted(OWN_MOVES)


def test_temp_names_differ_per_call_thread_and_process(tmp_path: Path) -> None:
    names = {_files.temp_path(tmp_path / "a.png") for _ in range(1000)}
    assert len(names) == 1000
    assert all(n.parent == tmp_path and n.name.startswith(".a.png.") for n in names)
    assert all(n.name.endswith(".part") for n in names)
    assert all(f".{os.getpid()}-" in n.name for n in names)


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = _files.write_text(tmp_path / "grid.png", "old")
    with pytest.raises(RuntimeError), _files.atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise RuntimeError("the encoder died")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]


def test_digest_is_the_sha256_of_the_content_and_stable(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)  # more than one read chunk
    a = tmp_path / "a.bin"
    a.write_bytes(data)
    b = tmp_path / "b.bin"
    b.write_bytes(data)
    want = hashlib.sha256(data).hexdigest()
    assert _files.digest(a) == _files.digest(str(a)) == _files.digest(b) == want


def test_digest_and_identity_follow_an_edit_and_a_replacement(tmp_path: Path) -> None:
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"one")
    first_id, first_digest = _files.identity(f), _files.digest(f)
    st = f.stat()
    f.write_bytes(b"two")  # same size; pin the mtime too, as a coarse file-system clock would
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    other = tmp_path / "other"
    other.write_bytes(b"two")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, f)  # a replacement: a new inode, same path, size and mtime
    assert _files.identity(f) != first_id
    assert _files.digest(f) == hashlib.sha256(b"two").hexdigest() != first_digest
    assert _files.identity(f) == _files.identity(str(f))  # unchanged file: same identity


def test_a_missing_file_has_no_digest(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _files.digest(tmp_path / "nope.mp4")


@pytest.mark.parametrize(
    ("name", "mime"),
    [("a.mp4", "video/mp4"), ("B.MOV", "video/quicktime"), ("c.webm", "video/webm"), ("d.png", "image/png")],
)
def test_mime_type_by_suffix(name: str, mime: str) -> None:
    assert _files.mime_type(name) == mime
    assert _files.mime_type("notes.txt") == "application/octet-stream"
