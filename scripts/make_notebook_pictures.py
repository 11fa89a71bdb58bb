"""Make the expected-output pictures the notebooks show in their markdown (notebooks/img/<notebook>.png).

Each picture is made on the local preview backend from the same sources, prompts and settings as its
notebook, so a reader on GitHub sees what a run without a key gives; every figure carries lumakit's mark
"local preview, not Ray". Pictures are small (frames 160 px wide, at most 200 kB each: checked here and in
tests/test_notebooks.py). Run from anywhere, no key needed, nothing is billed:

    python scripts/make_notebook_pictures.py            # all ten, in a throwaway cache
    python scripts/make_notebook_pictures.py 02 05      # only these
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
OUT = ROOT / "notebooks" / "img"
MAX_BYTES = 200_000
CELL = 160  # frame width in the grids, pixels

# The guide's prompts, verbatim (the notebooks quote the same strings).
DOLPHIN = (
    "Transform only the dolphin into a cyberpunk cybernetic creature: glowing neon circuitry and "
    "electric-blue light strips across its body, sleek dark cybernetic plating, holographic fins, while "
    "keeping the ocean, splash, and sky natural and photoreal."
)
WINTER = (
    "Turn this street into deep winter: snow blanketing the ground and rooftops, bare trees, a cold overcast "
    "sky and soft falling snow, keeping the street's overall layout and the camera move from the source."
)
VIOLIN = (
    "Transform the violinist into a luminous figure of flowing golden light against a dark void, ribbons of "
    "light streaming from the bow and tracing his body, following his exact bowing and motion."
)

ICE = "Transform the dolphin into a creature of clear ice, light refracting through its body as it leaps"


def _clip(name: str) -> str:
    return str(ASSETS / name)


def pictures(client: Any) -> dict[str, Callable[[], object]]:
    import lumakit as lk

    dolphin, violin, street = (_clip(n) for n in ("dolphin.mp4", "violinist.mp4", "street.mp4"))

    def p00():
        glass = (
            "Transform the dolphin into a creature of blown glass, lit from within, leaping through the spray"
        )
        return lk.frame_grid(
            {"source": dolphin, "flex_2": client.modify(dolphin, glass, strength="flex_2")}, n=4, size=CELL
        )

    def p01():
        first = client.modify(violin, VIOLIN, strength="flex_2")
        url = client.modify(
            first.video_url, "The same glowing figure, now lit by a low orange sunset", strength="adhere_2"
        )
        chained = client.modify(
            first,
            "The same glowing figure on a stage at night under a single cold spotlight",
            strength="adhere_2",
        )
        return lk.frame_grid(
            {"source": violin, "from file": first, "from URL": url, "chained": chained}, n=4, size=CELL
        )

    def p02():
        bands = client.sweep(dolphin, DOLPHIN, strengths=lk.ONE_PER_BAND)
        return lk.frame_grid({"source": dolphin, **bands}, n=4, size=CELL)

    def p03():
        pose = client.sweep(  # as the guide sends it: poseStrength alone, no strength
            dolphin,
            DOLPHIN,
            variants={p: {"controls": lk.Controls(pose_strength=p)} for p in ("precise", "coarse")},
        )
        return lk.diff_grid(dolphin, pose, n=4, size=CELL)

    def p04():
        prompt = "Transform the dolphin into a paper-lantern dragon glowing orange, leaping at dusk"
        auto = client.modify(dolphin, prompt, auto_controls=True)
        manual = client.modify(
            dolphin, prompt, strength="flex_2", controls=lk.Controls(pose_strength="precise")
        )
        return lk.frame_grid({"source": dolphin, "autoControls": auto, "manual": manual}, n=4, size=CELL)

    def p05():
        winter = client.sweep(
            street,
            WINTER,
            strength="flex_1",
            variants={
                "dense anchors": {"controls": lk.Controls(trajectory_sparsity=0.0)},
                "sparse anchors": {"controls": lk.Controls(trajectory_sparsity=1.0)},
            },
        )
        return lk.frame_grid({"source": street, **winter}, n=4, size=CELL)

    def p06():
        recipes = {
            "relight: moonlight": dict(
                prompt="The violinist on a stage lit by cold blue moonlight from a high window, "
                "deep shadows around",
                strength="adhere_2",
            ),
            "restyle: marble": dict(
                prompt="The violinist as a white marble statue playing a marble violin, veined stone, "
                "museum light",
                strength="flex_1",
            ),
            "restyle: ink drawing": dict(
                prompt="The whole scene as a loose black ink drawing on cream paper, cross-hatched shadows",
                strength="flex_2",
            ),
        }
        edits = client.sweep(violin, recipes["relight: moonlight"]["prompt"], variants=recipes)
        return lk.frame_grid({"source": violin, **edits}, n=4, size=CELL)

    def p07():
        edited = client.modify(dolphin, ICE, strength="adhere_3")  # where the notebook's climb stops
        vertical = client.reframe(
            edited,
            aspect_ratio="9:16",
            resolution="360p",
            prompt="More of the icy sea below and a pale sky above, seamless with the scene",
        )
        return lk.frame_grid({"edited (16:9)": edited, "reframed (9:16)": vertical}, n=4, size=(CELL, CELL))

    def p08():
        day = client.generate(
            "A full day passes over the lighthouse, clouds racing, "
            "light turning from dawn gold to dusk violet",
            image=_clip("frame.png"),
            last_image=_clip("frame_last.png"),
            resolution="360p",
        )
        return lk.frame_grid({"dawn → dusk": day}, n=5, size=CELL)

    def p09():
        prompt = "Transform the dolphin into a whale shark, spotted and slow, in the same leap"
        runs = client.sweep(dolphin, prompt, strengths=["adhere_2", "flex_2", "reimagine_2"])
        return lk.departure_plot(dolphin, runs, n=24)

    return {
        "00_quickstart": p00, "01_the_request": p01, "02_strength_dial": p02, "03_per_signal_controls": p03,
        "04_auto_controls": p04, "05_changing_the_setting": p05, "06_relight_and_restyle": p06,
        "07_tips_and_reframing": p07, "08_text_and_image_to_video": p08, "09_history_and_costs": p09,
    }  # fmt: skip


def _small_png(path: Path) -> Path:
    """Quantize to 32 levels per channel (invisible at this size) so the PNG compresses well."""
    import numpy as np
    from matplotlib.image import imread, imsave

    rgb = (imread(path)[..., :3] * 255).astype(np.uint8)
    imsave(path, (rgb & 0xF8) | 0x04, format="png")
    return path


def main(argv: list[str]) -> int:
    os.environ.pop("RUNWARE_API_KEY", None)  # previews only: never a paid job
    os.environ["LUMAKIT_BACKEND"] = "local"
    import lumakit as lk

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache, lk.Client(cache_dir=cache, progress=False) as client:
        todo = pictures(client)
        names = [n for n in todo if not argv or any(n.startswith(a) for a in argv)]
        for name in names:
            fig = todo[name]()
            path = _small_png(lk.save_grid(fig, OUT / f"{name}.png", dpi=72))
            size = path.stat().st_size
            print(f"{path.relative_to(ROOT)}  {size / 1000:.0f} kB")
            if size > MAX_BYTES:
                print(f"  too big: over {MAX_BYTES // 1000} kB", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
