"""The ``lumakit`` command: ``demo``, ``modify``, ``sweep``, ``estimate``, ``resume``, ``grid``, ``serve``,
``history``, ``cache``, ``pack``, ``unpack``.

Every subcommand has ``--help``; bad input exits with code 2 and a one-line message naming the parameter,
other lumakit errors with 1. With ``--json`` a command prints one JSON document on stdout and nothing else
(progress and notices go to stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import LumakitError, MediaError, RequestError, SweepError
from .request.values import ONE_PER_BAND
from .wire.spec import POSE_STRENGTHS

SWEEP_DEFAULT = ",".join(ONE_PER_BAND)
DEMO_PROMPT = "Transform only the dolphin into a creature of glass and neon light, the ocean left natural"


def _add_job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="ignore the cache and run (and pay) again")
    p.add_argument("--max-cost", type=float, default=None, help="refuse work estimated above this many USD")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _add_controls(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("controls (leave out to leave unset)")
    g.add_argument("--pose-strength", choices=POSE_STRENGTHS)
    g.add_argument("--depth-blur", type=float, metavar="0..1")
    g.add_argument("--normals-augmentation", type=float, metavar="0..1")
    g.add_argument("--trajectory-sparsity", type=float, metavar="0..1")
    g.add_argument("--face", action="store_true", default=None, help="bias toward a recognizable face")


def _add_json(p: argparse.ArgumentParser, what: str = "result records") -> None:
    p.add_argument("--json", action="store_true", help=f"print one JSON document ({what}) on stdout")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    _add_json(p)
    p.add_argument("--output-dir", metavar="DIR", help="also copy the results here under readable names")


def _add_take(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--take",
        type=int,
        default=0,
        metavar="N",
        help="sample number N of the same request (0, the default, is the first; Ray has no seed, so take "
        "1, 2... are new samples, each run, paid and cached on its own)",
    )


def _add_edit(p: argparse.ArgumentParser) -> None:
    """The arguments that say what a sweep runs (shared by ``sweep`` and ``estimate``)."""
    p.add_argument("source", help="local file, http(s) URL or the UUID of an earlier generation")
    p.add_argument("prompt")
    p.add_argument("--strengths", default=None, help=f"comma-separated, or 'all' (default: {SWEEP_DEFAULT})")
    _add_controls(p)


def _controls(args: argparse.Namespace) -> Any:
    from .request import Controls

    c = Controls(
        pose_strength=args.pose_strength,
        depth_blur=args.depth_blur,
        normals_augmentation=args.normals_augmentation,
        trajectory_sparsity=args.trajectory_sparsity,
        face=args.face,
    )
    return c or None


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="lumakit", description="Explore Luma Ray 3.2 Modify Video from the command line."
    )
    parser.add_argument("--version", action="version", version=f"lumakit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="a strength-band sweep of a sample clip: frame grid, web page, comparison video, report"
    )
    demo.add_argument("--source", default=None, help="clip to modify (default: the dolphin sample)")
    demo.add_argument("--prompt", default=DEMO_PROMPT)
    demo.add_argument(
        "--out",
        default="lumakit-demo",
        help="folder for grid.png, index.html, comparison.mp4 and report.html",
    )
    demo.add_argument("--all-levels", action="store_true", help="all nine levels, not one per band")
    _add_job_options(demo)

    modify = sub.add_parser("modify", help="re-render a clip from a prompt")
    modify.add_argument("source", help="local file, http(s) URL or the UUID of an earlier generation")
    modify.add_argument("prompt")
    modify.add_argument("--strength", help="adhere_1..3, flex_1..3, reimagine_1..3")
    modify.add_argument("--auto-controls", action="store_true", help="let Ray derive everything")
    _add_controls(modify)
    _add_job_options(modify)
    _add_take(modify)
    _add_output_options(modify)

    sweep = sub.add_parser("sweep", help="run several strength levels of one edit together")
    _add_edit(sweep)
    sweep.add_argument("--grid", default=None, help="also write a frame grid PNG here")
    sweep.add_argument("--video", default=None, help="also write a captioned side-by-side MP4 here")
    sweep.add_argument("--report", default=None, help="also write a self-contained HTML report here")
    _add_job_options(sweep)
    _add_take(sweep)
    _add_output_options(sweep)

    estimate = sub.add_parser(
        "estimate",
        help="price a sweep (or one edit) before running it; nothing is run or billed",
        description="Price what `lumakit sweep` with these arguments would cost (jobs already in the cache "
        "cost 0). Give --strength or --auto-controls instead of --strengths to price one edit, as "
        "`lumakit modify` would run it. Uses the service's dry run (nothing is run or billed), else the "
        "price table.",
    )
    _add_edit(estimate)
    estimate.add_argument("--strength", help="price one edit at this level (as `modify --strength`)")
    estimate.add_argument("--auto-controls", action="store_true", help="price one edit with auto controls")
    _add_json(estimate, "the estimate")

    resume = sub.add_parser(
        "resume",
        help="finish a task cut short (timeout, Ctrl-C, a closed laptop) without paying for it twice",
        description="Finish one task by UUID (`lumakit history` lists them), or every unfinished task with "
        "--all: a finished task is only downloaded, one still running is waited for, one that never reached "
        "the service is sent now.",
    )
    resume.add_argument("task_uuid", nargs="?", help="the task to finish")
    resume.add_argument(
        "--all", action="store_true", help="every task that is not over (`lumakit cache` counts them)"
    )
    resume.add_argument("--timeout", type=float, default=None, help="seconds to wait per task")
    resume.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_output_options(resume)

    grid = sub.add_parser("grid", help="a frame grid PNG of videos (rows) over time (columns)")
    grid.add_argument("videos", nargs="+", help="files or URLs; label=path to name a row")
    grid.add_argument("--out", required=True, help="PNG to write")
    grid.add_argument("-n", type=int, default=6, help="frames per video")

    serve = sub.add_parser(
        "serve", help="run the local Runware-protocol backend on 127.0.0.1", add_help=False
    )
    serve.add_argument("serve_args", nargs=argparse.REMAINDER)

    history = sub.add_parser("history", help="every task this machine sent, newest first")
    history.add_argument("-n", type=int, default=20, help="how many")
    _add_json(history, "ledger records")

    _add_pack_commands(sub)

    cache = sub.add_parser(
        "cache",
        help="the cache folder: its size, results, previews and tasks; prune old files",
        description="Show the cache folder (LUMAKIT_CACHE_DIR), its size, result files, previews, local "
        "proxies, ledger tasks and tasks in flight. --prune-older-than deletes result files of finished "
        "tasks older than DAYS, and previews and local proxies (made again when needed) not used for DAYS, "
        "oldest first, never one a process has open; the ledger keeps every task. A pruned result is no "
        "longer on disk: running the same request again downloads it again while the service still serves "
        "its URL (free), and once that URL has expired runs it again, and that costs again.",
    )
    cache.add_argument(
        "--prune-older-than",
        type=float,
        default=None,
        metavar="DAYS",
        help="delete result files of finished (done) tasks last written more than DAYS ago, and previews "
        "and local proxies last used more than DAYS ago",
    )
    cache.add_argument("--dry-run", action="store_true", help="with --prune-older-than: list, delete nothing")
    return parser


def _client(args: argparse.Namespace) -> Any:
    from .client import Client

    return Client(progress=not getattr(args, "no_progress", False))


def _labelled(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or "://" in label:
            label, path = Path(item).stem, item
        out[label] = path
    return out


def _local_source(source: str) -> str | None:
    """The sweep's source when it is a local file (shown next to the results), else None."""
    return source if "://" not in source and Path(source).expanduser().is_file() else None


def _share(runs: Any, source: str | None, video: str | None, report: str | None) -> list[tuple[str, Path]]:
    """Write the comparison video and/or the report of a sweep; returns ``[(what, path)]``."""
    written = []
    if video:
        from .side_by_side import comparison_video

        clips = {"source": source, **runs} if source else runs
        written.append(("comparison video", comparison_video(clips, video)))
    if report:
        from .report import save_report

        written.append(("report", save_report(runs, report, source=source)))
    return written


def _check_video_path(value: str | None) -> None:
    if value is not None and Path(value).suffix.lower() != ".mp4":
        raise RequestError("--video", value, "a path ending in .mp4")


def _demo_cost(r: Any) -> str:
    """What a demo run cost: nothing for a cached result or a local preview (its figure is what Runware
    would bill), else the result's cost label."""
    if r.cached:
        return "cached"
    if r.is_local:
        would = f", about ${r.cost:.2f} on Runware" if r.cost is not None else ""
        return f"local preview: free{would}"
    from .report import cost_label

    return cost_label(r)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .compare import save_grid
    from .display import save_page
    from .request import STRENGTHS
    from .samples import path as sample_path

    source = Path(args.source) if args.source else sample_path("dolphin")
    if not source.is_file():
        raise RequestError(
            "--source", str(source), "an existing video file", message=f"{source}: no such file"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    levels = list(STRENGTHS if args.all_levels else ONE_PER_BAND)
    with _client(args) as client:
        print(f"lumakit demo: {len(levels)} strength levels of {source.name} on the {client.backend} backend")
        runs = client.sweep(
            str(source), args.prompt, strengths=levels, force=args.force, max_cost=args.max_cost
        )
    videos = {"source": str(source), **{label: r.path for label, r in runs.items()}}
    grid = save_grid(videos, out / "grid.png", n=6)
    page = save_page(videos, out / "index.html", title=f"lumakit demo: {args.prompt}")
    shared = _share(runs, str(source), str(out / "comparison.mp4"), str(out / "report.html"))
    for label, r in runs.items():
        print(f"  {label:<12} {r.path}  ({_demo_cost(r)})")
    print(f"frame grid: {grid}\nweb page:   {page}")
    for what, path in shared:
        print(f"{what + ':':<17} {path}")
    return 0


def _levels(strengths: str | None) -> list[str]:
    from .request import STRENGTHS

    value = strengths or SWEEP_DEFAULT
    return list(STRENGTHS) if value == "all" else [s.strip() for s in value.split(",")]


def _emit(args: argparse.Namespace, runs: Mapping[str, Any], *, one: bool = False) -> None:
    """Print results: paths (``label<TAB>path`` for several), or their records with ``--json``; with
    ``--output-dir``, copy them there first and print the copies."""
    copies: dict[str, Path] = {}
    if args.output_dir:
        folder = Path(args.output_dir).expanduser()
        copies = {label: r.save(folder / r.file_name(label)) for label, r in runs.items()}
    if args.json:
        records = []
        for label, r in runs.items():
            record = r.to_record(label)
            if label in copies:
                record["saved"] = str(copies[label])
            records.append(record)
        print(json.dumps(records[0] if one else records, indent=2))
        return
    for label, r in runs.items():
        path = copies.get(label, r.path)
        print(path if one else f"{label}\t{path}")


def _emit_partial(args: argparse.Namespace, exc: SweepError) -> None:
    """Some jobs failed: print the ones that finished (they are cached), then let the error exit 1."""
    if exc.partial:
        _emit(args, exc.partial)


def _cmd_modify(args: argparse.Namespace) -> int:
    with _client(args) as client:
        r = client.modify(
            args.source,
            args.prompt,
            strength=args.strength,
            controls=_controls(args),
            auto_controls=args.auto_controls,
            take=args.take,
            force=args.force,
            max_cost=args.max_cost,
        )
    _emit(args, {r.label or "modify": r}, one=True)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    _check_video_path(args.video)
    with _client(args) as client:
        try:
            runs = client.sweep(
                args.source, args.prompt, strengths=_levels(args.strengths), controls=_controls(args),
                take=args.take, force=args.force, max_cost=args.max_cost,
            )  # fmt: skip
        except SweepError as exc:
            _emit_partial(args, exc)
            raise
    _emit(args, runs)
    extras = []
    if args.grid:
        from .compare import save_grid

        extras.append(save_grid({"source": args.source, **{k: r.path for k, r in runs.items()}}, args.grid))
    extras += [path for _what, path in _share(runs, _local_source(args.source), args.video, args.report)]
    for path in extras:
        print(path, file=sys.stderr if args.json else sys.stdout)
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    one_edit = args.strength is not None or args.auto_controls
    if one_edit and args.strengths is not None:
        raise RequestError(
            "--strengths",
            args.strengths,
            "either --strengths (a sweep) or --strength/--auto-controls (one edit)",
        )
    with _client(args) as client:
        if one_edit:
            from .request import build

            work: Any = build("modify", video=args.source, prompt=args.prompt, strength=args.strength,
                              controls=_controls(args), auto_controls=args.auto_controls)  # fmt: skip
            work = {str(args.strength or "auto_controls"): work}
        else:
            work = client.plan_sweep(
                args.source, args.prompt, strengths=_levels(args.strengths), controls=_controls(args)
            )
        est = client.estimate(work)
    if args.json:
        print(json.dumps(dataclasses.asdict(est), indent=2))
        return 0
    for ln in est.lines:
        print(f"{ln.label}\t${ln.amount:.2f}\t{ln.kind}: {ln.detail}" + ("  [cached]" if ln.cached else ""))
    print(
        f"total\t${est.total:.2f}\t({est.source}; an estimate: the service's reported cost is what is billed)"
    )
    for note in est.notes:
        print(f"note: {note}")
    return 0


def _cmd_resume(args: argparse.Namespace) -> int:
    from .request import is_uuid

    if args.all == (args.task_uuid is not None):
        raise RequestError("task_uuid", args.task_uuid, "a task UUID or --all (one of them)")
    if args.timeout is not None and not args.timeout > 0:
        raise RequestError("--timeout", args.timeout, "seconds > 0")
    if args.task_uuid is not None and not is_uuid(args.task_uuid):
        raise RequestError(
            "task_uuid", args.task_uuid, "a UUID (8-4-4-4-12 hex digits; `lumakit history` lists them)"
        )
    if args.all and not _read_ledger(lambda cache: cache.ledger.pending()):
        print("[]" if args.json else "nothing to resume")
        return 0
    with _client(args) as client:
        if args.task_uuid is not None:  # a task of another backend is refused there, before anything is asked
            r = client.resume(args.task_uuid, timeout=args.timeout)
            _emit(args, {r.label or args.task_uuid[:8]: r}, one=True)
            return 0
        try:
            runs = client.resume_all(timeout=args.timeout)
        except SweepError as exc:
            _emit_partial(args, exc)
            raise
        if not runs:
            print(f"lumakit resume: no unfinished task of the {client.backend} backend", file=sys.stderr)
    _emit(args, runs)
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from .compare import save_grid

    print(save_grid(_labelled(args.videos), args.out, n=args.n))
    return 0


def _add_pack_commands(sub: Any) -> None:
    pack = sub.add_parser(
        "pack",
        help="write finished results and their ledger rows to one zip others can unpack (paid once)",
        description="Write finished results (videos, the requests as sent, billed costs, task and video "
        "UUIDs; never a key) to one zip. `lumakit unpack` (or LUMAKIT_SHARED_CACHE) makes them free cache "
        "hits on any machine. Without filters, every finished result in the cache is packed.",
    )
    pack.add_argument("out", help="the zip to write")
    pack.add_argument("--notebooks", metavar="A,B", help="results run in these notebooks (or budget scopes)")
    pack.add_argument("--since", metavar="DATE", help="results finished on or after this date (2026-12-01)")
    pack.add_argument("--tasks", metavar="UUID,UUID", help="these tasks only")
    unpack = sub.add_parser(
        "unpack",
        help="add a pack's results to this machine's cache (free cache hits, no key needed)",
        description="Check a pack (every file against its manifest) and add its results to the cache. A "
        "corrupt or foreign pack is refused and changes nothing.",
    )
    unpack.add_argument("pack", help="a zip written by `lumakit pack`")


def _names(raw: str | None) -> list[str] | None:
    return None if raw is None else [n.strip() for n in raw.split(",") if n.strip()]


def _cmd_pack(args: argparse.Namespace) -> int:
    from .packs import make_pack

    report = _read_ledger(
        lambda cache: make_pack(
            cache, args.out, notebooks=_names(args.notebooks), since=args.since, tasks=_names(args.tasks)
        )
    )
    print(report)
    return 0


def _cmd_unpack(args: argparse.Namespace) -> int:
    from .packs import unpack

    print(_read_ledger(lambda cache: unpack(args.pack, cache)))
    return 0


def _read_ledger(read: Any) -> Any:
    """``read(cache)`` on the ledger alone: no client, so no local server is started just to read it."""
    from .cache import Cache

    cache = Cache()
    try:
        return read(cache)
    finally:
        cache.close()


def _cmd_history(args: argparse.Namespace) -> int:
    if args.n < 0:
        raise RequestError("-n", args.n, "a number of tasks >= 0")
    from .client import spending_summary

    entries, spent = _read_ledger(lambda cache: (cache.ledger.history(limit=args.n), spending_summary(cache)))
    if args.json:
        print(json.dumps(entries.to_records(), indent=2))
        return 0
    if not entries:
        print("no tasks yet")
    for e in entries:
        print(e)
    print(spent)
    return 0


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _cmd_cache(args: argparse.Namespace) -> int:
    from .cache_usage import prune, usage

    if args.prune_older_than is None:
        if args.dry_run:
            raise RequestError("--dry-run", True, "only with --prune-older-than DAYS")
        u = _read_ledger(usage)
        print(f"folder   {u.root}")
        print(f"size     {_mb(u.total_bytes)}")
        print(f"results  {u.result_files} files, {_mb(u.result_bytes)}")
        print(f"previews {u.preview_files} files, {_mb(u.preview_bytes)} (display transcodes, made again)")
        print(f"proxies  {u.proxy_files} files, {_mb(u.proxy_bytes)} (local backend sources, made again)")
        print(f"ledger   {u.tasks} tasks, {u.in_flight} in flight, {u.resumable} unfinished")
        return 0
    if args.prune_older_than < 0:
        raise RequestError("--prune-older-than", args.prune_older_than, "a number of days >= 0")
    pruned = _read_ledger(lambda cache: prune(cache, args.prune_older_than, dry_run=args.dry_run))
    for path in pruned.files:
        print(path)
    verb = "would free" if pruned.dry_run else "freed"
    days = f"{args.prune_older_than:g}"
    derived = f", {pruned.previews} previews, {pruned.proxies} local proxies" if pruned.files else ""
    print(f"{verb} {_mb(pruned.bytes)} ({pruned.result_files} result files{derived} older than {days} days)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # the local backend parses its own flags
        from .local.command import serve_main

        return serve_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    command = {
        "demo": _cmd_demo,
        "modify": _cmd_modify,
        "sweep": _cmd_sweep,
        "estimate": _cmd_estimate,
        "resume": _cmd_resume,
        "grid": _cmd_grid,
        "history": _cmd_history,
        "cache": _cmd_cache,
        "pack": _cmd_pack,
        "unpack": _cmd_unpack,
    }[args.command]
    try:
        return command(args)
    except (RequestError, MediaError) as exc:  # bad input: a wrong value, or a file that is not a video
        print(f"lumakit {args.command}: {exc}", file=sys.stderr)
        return 2
    except LumakitError as exc:
        print(f"lumakit {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; unfinished tasks are in `lumakit history` and can be resumed", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
