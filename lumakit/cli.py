"""The ``lumakit`` command: ``demo``, ``modify``, ``sweep``, ``grid``, ``serve``, ``history``.

Every subcommand has ``--help``; bad input exits with code 2 and a one-line message naming the parameter.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import LumakitError, MediaError, RequestError

DEMO_PROMPT = "Transform only the dolphin into a creature of glass and neon light, the ocean left natural"


def _add_job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="ignore the cache and run (and pay) again")
    p.add_argument("--max-cost", type=float, default=None, help="refuse work estimated above this many USD")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _add_controls(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("controls (leave out to leave unset)")
    g.add_argument("--pose-strength", choices=("precise", "coarse"))
    g.add_argument("--depth-blur", type=float, metavar="0..1")
    g.add_argument("--normals-augmentation", type=float, metavar="0..1")
    g.add_argument("--trajectory-sparsity", type=float, metavar="0..1")
    g.add_argument("--face", action="store_true", default=None, help="bias toward a recognizable face")


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
    parser = argparse.ArgumentParser(
        prog="lumakit", description="Explore Luma Ray 3.2 Modify Video from the command line."
    )
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

    sweep = sub.add_parser("sweep", help="run several strength levels of one edit together")
    sweep.add_argument("source")
    sweep.add_argument("prompt")
    sweep.add_argument("--strengths", default="adhere_1,flex_2,reimagine_3", help="comma-separated, or 'all'")
    sweep.add_argument("--grid", default=None, help="also write a frame grid PNG here")
    sweep.add_argument("--video", default=None, help="also write a captioned side-by-side MP4 here")
    sweep.add_argument("--report", default=None, help="also write a self-contained HTML report here")
    _add_controls(sweep)
    _add_job_options(sweep)

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
        from .comparison import comparison_video

        clips = {"source": source, **runs} if source else runs
        written.append(("comparison video", comparison_video(clips, video)))
    if report:
        from .report import save_report

        written.append(("report", save_report(runs, report, source=source)))
    return written


def _check_video_path(value: str | None) -> None:
    if value is not None and Path(value).suffix.lower() != ".mp4":
        raise RequestError("--video", value, "a path ending in .mp4")


def _cmd_demo(args: argparse.Namespace) -> int:
    from .compare import save_grid
    from .display import save_page
    from .request import ONE_PER_BAND, STRENGTHS
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
        cost = "cached" if r.cached else f"${r.cost:.2f}" if r.cost is not None else "cost unknown"
        print(f"  {label:<12} {r.path}  ({cost})")
    print(f"frame grid: {grid}\nweb page:   {page}")
    for what, path in shared:
        print(f"{what + ':':<17} {path}")
    return 0


def _cmd_modify(args: argparse.Namespace) -> int:
    with _client(args) as client:
        r = client.modify(
            args.source,
            args.prompt,
            strength=args.strength,
            controls=_controls(args),
            auto_controls=args.auto_controls,
            force=args.force,
            max_cost=args.max_cost,
        )
    print(r.path)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .request import STRENGTHS

    levels = list(STRENGTHS) if args.strengths == "all" else [s.strip() for s in args.strengths.split(",")]
    _check_video_path(args.video)
    with _client(args) as client:
        runs = client.sweep(
            args.source, args.prompt, strengths=levels, controls=_controls(args), force=args.force,
            max_cost=args.max_cost,
        )  # fmt: skip
    for label, r in runs.items():
        print(f"{label}\t{r.path}")
    if args.grid:
        from .compare import save_grid

        print(save_grid({"source": args.source, **{k: r.path for k, r in runs.items()}}, args.grid))
    for _what, path in _share(runs, _local_source(args.source), args.video, args.report):
        print(path)
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from .compare import save_grid

    print(save_grid(_labelled(args.videos), args.out, n=args.n))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    with _client(args) as client:
        entries = client.history(limit=args.n)
    if not entries:
        print("no tasks yet")
    for e in entries:
        print(e)
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
        "grid": _cmd_grid,
        "history": _cmd_history,
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
