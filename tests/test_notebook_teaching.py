"""The notebooks teach only what is true of Ray, exercises can be checked, and every dollar figure is priced.

Three kinds of statement are kept apart in the notebooks' markdown, each visibly marked:

- what Runware's guide says: a line ``> guide: "<exact words>" (section *<section>*)``;
- what Runware's reference says, beyond the guide: a line ``> reference: [title](https://runware.ai/docs/...)``;
- what the local preview shows (lumakit's mechanics, never a claim about Ray): a line ``> preview: ...``.

A sentence that states what Ray does (``Ray keeps ...``, ``on Ray the dolphin would ...``) must sit in a cell
with a guide or reference line; :func:`ray_claims` finds such sentences, and is itself tested on bad cells.

Exercises: the cell with ``## Try this`` lists 2-3 numbered tasks, each marked ``(free)`` or ``(paid: about
$x.xx)``; a code cell ``# Try this N: check`` after it prints a verdict (or asserts); the notebook ends with
``## Answers`` (one per exercise) and the links to its neighbours.

Money: each opening states ``**Runware cost: about $X**`` next to ``Paid jobs on Runware: N``; ``X`` is
recomputed here from :mod:`lumakit.pricing` (:func:`notebook_jobs`: what each notebook sends, job by job), and
the README tables carry the same figures and the series total.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_notebooks import EXPECTED, GUIDE_URL, NOTEBOOKS, _read, stated_budget, stated_paid_jobs

from lumakit import media
from lumakit.pricing import price
from lumakit.request import GenerateRequest, ModifyRequest, ReframeRequest

ROOT = NOTEBOOKS.parent
GUIDE_SECTIONS = {
    "Ray3.2",  # the model page's introduction above the guide
    "Introduction",
    "The request",
    "Controlling how much changes",
    "Per-signal controls",
    "Changing the setting",
    "Tips",
}
REFERENCE = re.compile(r"^> reference: \[[^\]]+\]\((https://runware\.ai/docs/[^)\s]+)\)", re.M)
GUIDE_LINE = re.compile(r'^> guide: "(?P<quote>[^"]+)" \(section \*(?P<section>[^*]+)\*\)\s*$', re.M)

# ---- the claim detector ----------------------------------------------------------------------------------

_VERBS = (
    "will|would|does|doesn't|does not|did|can|can't|cannot|should|may|might|must|keeps|holds|follows|"
    "re-renders|rebuilds|reworks|reinterprets|treats|stays|derives|reports|refuses|accepts|ignores|takes|has|"
    "gives|makes|adds|moves|changes|carries|draws|paints|invents|fills|picks|returns|bills|charges|ranks|is"
)
_CLAIM = re.compile(
    rf"\b(?:Ray(?: 3\.2)?|[Tt]he model)\s+(?:\w+ly\s+|also\s+|still\s+|then\s+|only\s+)?(?:{_VERBS})\b"
    r"|\b[Oo]n Ray\b[^.?!:]*?\b(?:will|would|expect|stays?|keeps?|holds?|follows?|moves?|is|are)\b"
    r"|\bwhat Ray does\b"
    r"|\bexpect (?:Ray|the model)\b"
)
_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)


def _sentences(markdown: str) -> list[str]:
    text = _CODE.sub(" ", markdown)
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("> guide:", "> reference:")))
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n\s*\n|\n\s*[-|*] ", text) if s.strip()]


def ray_claims(markdown: str) -> list[str]:
    """Sentences of one markdown cell that state what Ray does, when the cell has no guide quote and no
    reference link to back them (an empty list when it has one, or states nothing about Ray)."""
    if GUIDE_LINE.search(markdown) or REFERENCE.search(markdown):
        return []
    return [s for s in _sentences(markdown) if _CLAIM.search(s)]


def test_the_claim_detector_catches_claims_without_a_source() -> None:
    bad = [
        "Both winter edits keep the layout. On Ray the violinist would become a figure of golden light.",
        "Ray keeps the camera path when the anchors are dense.",
        "On Ray expect the same trend with more scatter.",
        "| autoControls | picks controls | what Ray does (per the guide) |",
        "Ray 3.2 also has no seed and no negative prompt.",
        "The model reliably follows the skeleton.",
    ]
    for cell in bad:
        assert ray_claims(cell), cell
    backed = (
        bad[1]
        + '\n\n> guide: "The model follows the source\'s motion and composition" (section *The request*)'
    )
    assert ray_claims(backed) == []
    linked = bad[4] + "\n\n> reference: [Ray 3.2 on Runware](https://runware.ai/docs/models/luma-ray3-2)"
    assert ray_claims(linked) == []
    fine = [
        "A preview is a stand-in render, not Ray.",
        "> preview: the local renderer tints the frame from the prompt's keywords.",
        "Check it on Ray: run two takes and compare the spread with the gap.",
        "`client.modify` returns a `Result` (Ray or the preview).",
    ]
    for cell in fine:
        assert ray_claims(cell) == [], cell


@pytest.mark.parametrize("name", EXPECTED)
def test_no_claim_about_ray_without_the_guide_or_the_reference(name: str) -> None:
    for i, cell in enumerate(_read(name).cells):
        if cell.cell_type == "markdown":
            claims = ray_claims(cell.source)
            assert not claims, (
                f"{name} cell {i}: says what Ray does with no guide: or reference: line:\n{claims}"
            )


@pytest.mark.parametrize("name", EXPECTED)
def test_guide_and_reference_lines_are_well_formed(name: str) -> None:
    for cell in _read(name).cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("> guide"):
                m = GUIDE_LINE.match(line)
                assert m, f'{name}: a guide line must read > guide: "..." (section *...*): {line}'
                assert m["section"] in GUIDE_SECTIONS, f"{name}: no guide section {m['section']!r}"
                assert len(m["quote"]) >= 20, f"{name}: quote the guide's sentence, not a word: {line}"
            if line.startswith("> reference"):
                assert REFERENCE.match(line), f"{name}: a reference line links runware.ai/docs: {line}"
    assert GUIDE_URL.startswith("https://runware.ai/docs/")


# ---- exercises that can be checked -----------------------------------------------------------------------

_PAID_NOTE = re.compile(r"\((?:free\b[^)]*|paid: about \$(\d+\.\d\d)[^)]*)\)")
_CHECK = re.compile(r"^# Try this (\d): check", re.M)


def _exercises(name: str) -> tuple[int, list[str]]:
    cells = _read(name).cells
    index = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Try this" in c.source)
    items = re.split(r"^\d+\. ", cells[index].source.split("## Try this", 1)[1], flags=re.M)[1:]
    return index, items


@pytest.mark.parametrize("name", EXPECTED)
def test_every_exercise_has_a_check_cell_an_answer_and_says_what_it_costs(name: str) -> None:
    cells = _read(name).cells
    index, items = _exercises(name)
    assert 2 <= len(items) <= 3, f"{name}: {len(items)} exercises"
    checks = {
        int(m[1]): c.source
        for c in cells[index + 1 :]
        if c.cell_type == "code" and (m := _CHECK.match(c.source))
    }
    assert sorted(checks) == list(range(1, len(items) + 1)), f"{name}: check cells for {sorted(checks)}"
    for k, src in checks.items():
        assert "assert " in src or "print(" in src, (
            f"{name}: check cell {k} neither asserts nor prints a verdict"
        )
        assert not re.search(r"client\.(modify|sweep|generate|reframe|submit|takes|run)\(", src), (
            f"{name}: check cell {k} runs a paid job"
        )
    last = cells[-1]
    assert last.cell_type == "markdown" and "## Answers" in last.source, f"{name}: no answers at the end"
    answers = re.findall(r"^\d+\. ", last.source.split("## Answers", 1)[1], flags=re.M)
    assert len(answers) == len(items), f"{name}: {len(answers)} answers for {len(items)} exercises"
    for k, item in enumerate(items, start=1):
        note = _PAID_NOTE.search(item)
        assert note, f"{name}: exercise {k} says neither (free) nor (paid: about $x.xx): {item}"
        if note[1] is not None:
            assert _is_a_sum_of_job_prices(float(note[1])), (
                f"{name}: exercise {k}: ${note[1]} is no job's price"
            )


# ---- money -----------------------------------------------------------------------------------------------

COST = re.compile(r"\*\*Runware cost: about \$(\d+\.\d\d)\*\*")


def _probe(asset: str) -> tuple[float, tuple[int, int]]:
    info = media.probe(ROOT / "assets" / asset)
    return float(info.duration), (info.width, info.height)


def _edit(asset: str | None = "dolphin.mp4") -> float:
    """An edit of a sample clip (``None``: of an earlier result of one, by URL or UUID: the same length and
    size, which the client reads before pricing)."""
    if asset is None:
        seconds, size = _probe("dolphin.mp4")
        earlier = ModifyRequest("https://example.org/earlier.mp4", "x", strength="flex_2")
        return price(earlier, seconds, size).usd
    seconds, size = _probe(asset)
    return price(ModifyRequest(str(ROOT / "assets" / asset), "x", strength="flex_2"), seconds, size).usd


def _generate(**options: Any) -> float:
    return price(GenerateRequest("x", **options)).usd


def _reframe(**options: Any) -> float:
    """A reframe of an earlier result of a sample clip (its length is the clip's)."""
    seconds, size = _probe("dolphin.mp4")
    return price(ReframeRequest("https://example.org/earlier.mp4", "x", **options), seconds, size).usd


def notebook_jobs() -> dict[str, list[float]]:
    """What each notebook sends on Runware, one price per paid job, from the price table."""
    clip = _edit("dolphin.mp4")
    later = _edit(None)  # a result, a URL or a UUID as the source
    return {
        "00_quickstart": [clip],
        "01_the_request": [_edit("violinist.mp4"), later, later],
        "02_strength_dial": [clip] * 12,  # the dial (9) and a second take of the flex band (3)
        "03_per_signal_controls": [clip] * 6 + [_edit("face.mp4")] * 2,
        "04_auto_controls": [clip] * 2,
        "05_changing_the_setting": [_edit("street.mp4")] * 2,
        "06_relight_and_restyle": [_edit("violinist.mp4")] * 3 + [later],
        "07_tips_and_reframing": [clip] * 6
        + [_edit("face.mp4"), clip, _reframe(aspect_ratio="9:16", resolution="360p")],
        "08_text_and_image_to_video": [_generate(resolution="360p", duration=5)] * 4
        + [later, _edit("violinist.mp4"), _edit("face.mp4"), _edit("street.mp4"), _edit("violinist.mp4")],
        "09_history_and_costs": [clip] * 4,
    }


def _is_a_sum_of_job_prices(usd: float) -> bool:
    units = {
        _edit("dolphin.mp4"),
        _edit(None),
        _generate(resolution="360p", duration=5),
        _reframe(aspect_ratio="1:1", resolution="360p"),
    }
    return any(k * u - 1e-9 <= usd < k * u + 0.01 for u in units for k in range(1, 20))  # to the cent above


def stated_cost(name: str) -> float:
    opening = "\n".join(c.source for c in _read(name).cells[:2] if c.cell_type == "markdown")
    found = COST.findall(opening)
    assert len(found) == 1, f"{name}: the opening must state '**Runware cost: about $X**' once"
    return float(found[0])


@pytest.mark.parametrize("name", EXPECTED)
def test_the_opening_states_the_runware_cost_the_price_table_gives(name: str) -> None:
    jobs = notebook_jobs()[name]
    assert stated_paid_jobs(name) == len(jobs), (
        f"{name}: states {stated_paid_jobs(name)} jobs, sends {len(jobs)}"
    )
    total = sum(jobs)  # stated to the cent, never below
    assert total - 1e-9 <= stated_cost(name) < total + 0.01, (
        f"{name}: states ${stated_cost(name):.2f}, the price table gives ${total:.3f}"
    )


@pytest.mark.parametrize("name", EXPECTED)
def test_every_client_has_a_budget_of_its_own_that_covers_the_notebook_and_its_exercises(name: str) -> None:
    """Each notebook's client gets a budget scoped to the notebook: room for every job it states and every
    paid exercise, so a learner who does them all is never refused, and one who does more is."""
    code = [c.source for c in _read(name).cells if c.cell_type == "code"]
    for src in code:
        for call in re.findall(r"lk\.(?:Async)?Client\([^)]*\)", src):
            assert "budget=" in call, f"{name}: a client with no budget: {call}"
    budget, scope = stated_budget(name)
    assert scope == name, f"{name}: the budget is scoped to {scope!r}"
    exercises = sum(float(m[1]) for item in _exercises(name)[1] if (m := _PAID_NOTE.search(item)) and m[1])
    needed = stated_cost(name) + exercises
    assert needed <= budget, f"{name}: a ${budget:.2f} budget for ${needed:.2f} of jobs and exercises"
    assert "max_cost=" in "\n".join(code), f"{name}: no cap per call next to the budget"


@pytest.mark.parametrize("readme", ["notebooks/README.md", "README.md"])
def test_the_readme_tables_carry_each_notebooks_cost_and_the_series_total(readme: str) -> None:
    text = (ROOT / readme).read_text()
    total = 0.0
    for name in EXPECTED:
        row = next((ln for ln in text.splitlines() if ln.startswith("|") and f"{name}" in ln), None)
        assert row is not None, f"{readme}: no table row for {name}"
        cost = stated_cost(name)
        assert f"${cost:.2f}" in row, f"{readme}: the row of {name} does not say ${cost:.2f}:\n{row}"
        total += cost
    assert f"series total: about ${total:.2f}" in text, f"{readme}: no 'series total: about ${total:.2f}'"


@pytest.mark.parametrize("name", EXPECTED)
def test_every_paid_cell_is_preceded_by_its_estimate(name: str) -> None:
    """A cell that runs paid work prints its price first (``client.estimate`` or ``lk.pricing.price``), or
    comes after an estimate with no paid cell in between. Refusals (``test:error`` cells) send nothing."""
    paid = re.compile(r"client\.(modify|sweep|generate|reframe|submit|takes|run)\(")
    priced = re.compile(r"client\.estimate\(|lk\.pricing\.price\(")
    since_estimate = False
    for cell in _read(name).cells:
        if (
            cell.cell_type != "code"
            or _CHECK.match(cell.source)
            or "test:error" in cell.metadata.get("tags", [])
        ):
            continue
        src = cell.source
        first_paid = paid.search(src)
        found = priced.search(src)
        estimate = found.start() if found else -1
        if first_paid and not (since_estimate or 0 <= estimate < first_paid.start()):
            pytest.fail(f"{name}: a paid cell with no estimate before it:\n{src}")
        if first_paid:
            since_estimate = estimate > first_paid.start()
        elif estimate >= 0:
            since_estimate = True


def test_the_glossary_defines_the_words_the_notebooks_use() -> None:
    glossary = (ROOT / "docs" / "glossary.md").read_text()
    for word in ("wire", "departure", "MAD", "SSIM", "take", "ledger", "conditioning signal", "region"):
        assert re.search(rf"^## {re.escape(word)}\b", glossary, re.M | re.I), f"glossary: no entry for {word}"
    for name in EXPECTED:
        assert "../docs/glossary.md" in "\n".join(c.source for c in _read(name).cells[:3]), name


# ---- the guide's missing pieces, verbatim --------------------------------------------------------------

GUIDE_PIECES = {
    "01_the_request": [
        '"videoUUID": "f6e5d4c3-b2a1-0987-6543-21fedcba0987",\n'
        '"videoURL": "https://vm.runware.ai/video/os/a14d18/ws/2/vi/f6e5d4c3-b2a1-0987-6543-21fedcba0987.mp4"',
        "the performance is the throughline",
    ],
    "02_strength_dial": ['"settings": {\n"edit": { "strength": "reimagine_3" }\n}'],
    "03_per_signal_controls": ['"settings": {\n"edit": {\n"controls": { "poseStrength": "precise" }\n}\n}'],
    "08_text_and_image_to_video": [
        "motion transfer, camera motion transfer, character transformation",
        "multi-keyframe control inside a single clip",
    ],
}


@pytest.mark.parametrize("name", sorted(GUIDE_PIECES))
def test_the_guides_answer_snippets_and_workflows_are_quoted(name: str) -> None:
    md = "\n".join(c.source for c in _read(name).cells if c.cell_type == "markdown")
    for piece in GUIDE_PIECES[name]:
        assert piece in md, f"{name}: the guide's {piece[:40]!r}... is not quoted"


def test_the_guides_pose_request_is_sent_with_controls_only() -> None:
    code = "\n".join(c.source for c in _read("03_per_signal_controls").cells if c.cell_type == "code")
    assert "client.sweep(SOURCE, PROMPT, variants=POSE)" in code  # no strength next to poseStrength
