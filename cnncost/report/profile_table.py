"""A profile as a Document: the per-layer table (its rows at the view's depth, the analyses' columns), the
conventions, the totals, and the analyses' sections. Every format renders this one document."""

from __future__ import annotations

from dataclasses import replace

from ..counting import COUNTING_BRIEF, COUNTING_RULES
from ..quantities import FLOPS, MACS, MEMORY, PARAMS
from ..results import Profile
from .analysis_views import computed
from .columns import Column, columns, share_header, summary_lines
from .document import Block, Chart, Document, Facts, Table, Text, table
from .rows import Row, channels_last, table_rows
from .view import View

# On a narrow terminal these columns are hidden first, in this order; the others always show.
HIDE_ORDER = (
    *(share_header(quantity) for quantity in (MEMORY, PARAMS, MACS)),
    "in C",
    "in H/W",
    FLOPS.header(),
    FLOPS.header(exact=True),
    "type",
    "filters, k, s, p",
)
MARKED = (MEMORY, PARAMS, MACS)  # the heaviest row of each is marked
SCREEN_MARGIN = 8  # lines of a screenful that are not table rows: title, box rules, header, total


def title(profile: Profile) -> str:
    """'alexnet: 3x227x227, batch 1, fp32'."""
    return f"{profile.name}: {profile.sample_input_shape}, batch {profile.batch}, {profile.dtype}"


def screen_depth(profile: Profile, fold: bool, lines: int) -> int | None:
    """The deepest --depth whose rows fit in a screen of `lines` lines (None: every row fits; 1 when none fits)."""
    room = lines - SCREEN_MARGIN
    if len(table_rows(profile, fold)) <= room:
        return None
    deepest = max(name.count(".") + 1 for name in (cost.name for cost in profile.layers))
    for depth in range(deepest, 1, -1):
        if len(table_rows(profile, fold, depth)) <= room:
            return depth
    return 1


def _heaviest(rows: list[Row], cols: list[Column]) -> frozenset[tuple[int, int]]:
    """(row, column) of the largest memory, params and MACs, where not zero."""
    marked = set()
    for quantity in MARKED:
        index = next(
            (i for i, column in enumerate(cols) if column.quantity and column.quantity.key == quantity.key), None
        )
        if index is None or not rows:
            continue
        best = max(range(len(rows)), key=lambda r: rows[r].total(quantity.key))
        if rows[best].total(quantity.key):
            marked.add((best, index))
    return frozenset(marked)


def layer_table(
    profile: Profile, view: View = View(), extra: list[Column] | None = None, title_text: str = ""
) -> Table:
    """The per-layer table with its total row; the conventions as its caption."""
    rows = table_rows(profile, view.fold, view.depth)
    cols = columns(view.exact, profile.total.activation_bytes, channels_last(profile)) + list(extra or ())
    body = [[column.cell(row, profile) for column in cols] for row in rows]
    return table(
        [c.header for c in cols],
        body,
        [c.numeric for c in cols],
        footer=[column.total(profile) for column in cols],
        title=title_text,
        caption=COUNTING_RULES,
        hide=HIDE_ORDER,
        marked=_heaviest(rows, cols),
    )


def profile_document(profile: Profile, view: View = View(), hint: str = "") -> Document:
    """The document of `cnncost table`: the layer table with the analyses' columns, a hint line (such as how to see
    every row), the totals and the conventions, the analyses' sections, the share chart, and the sections of their
    own after it."""
    found = computed(profile, view)
    extra = [column for analysis, result in found for column in analysis.columns(result, profile, view)]
    notes = [analysis.note(result) for analysis, result in found if analysis.note]
    blocks: list[Block] = [replace(layer_table(profile, view, extra), caption="")]
    if hint:
        blocks.append(Text(hint))
    rules = Text(" ".join([COUNTING_RULES, *notes]), brief=" ".join([COUNTING_BRIEF, *notes]))
    blocks += [Facts(tuple(summary_lines(profile))), rules]
    sections = [(analysis, analysis.section(result, profile, view)) for analysis, result in found if analysis.section]
    blocks += [block for analysis, section in sections if not analysis.after_chart for block in section]
    if view.chart:
        blocks.append(share_chart(profile, view))
    blocks += [block for analysis, section in sections if analysis.after_chart for block in section]
    return Document(title(profile), tuple(blocks))


def share_chart(profile: Profile, view: View) -> Chart:
    """Where activation memory, parameters and MACs go, row by row (the bars of `cnncost plot`), and on a target
    where the predicted time goes."""
    rows = table_rows(profile, view.fold, view.depth)
    series = tuple(
        (name, tuple(float(row.total(quantity.key)) for row in rows))
        for name, quantity in (("activation memory", MEMORY), ("params", PARAMS), ("MACs", MACS))
    )
    what = "activation memory, params and MACs"
    if profile.prediction is not None:
        seconds = tuple(sum(cost.predicted_seconds or 0.0 for cost in row.layers) for row in rows)
        series += (("predicted time", seconds),)
        what = f"activation memory, params, MACs and the time predicted on {profile.prediction.target}"
    return Chart(f"Per row: {what}, each scaled to its largest row", tuple(row.name for row in rows), series)
