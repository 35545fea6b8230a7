"""A profile as a Document: the per-layer table (its rows at the view's depth, the analyses' columns), the
conventions, the totals, and the analyses' sections. Every format renders this one document."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..results import Profile
from .columns import Column, columns, summary_lines
from ..counting import COUNTING_RULES
from .document import Chart, Document, Facts, Heading, Table, table
from .rows import Row, table_rows

# On a narrow terminal these columns are hidden first, in this order; the others always show.
HIDE_ORDER = ("% memory", "% params", "% MACs", "in C", "in H/W", "FLOPs M", "FLOPs", "type", "filters, k, s, p")
MARKED = (("memory", "activation_bytes"), ("params", "params"), ("MACs", "macs"))  # the heaviest row of each is marked
SCREEN_MARGIN = 8  # lines of a screenful that are not table rows: title, box rules, header, total


@dataclass(frozen=True)
class View:
    """What the table shows: fold in-place layers into their row, fold blocks at depth, raw integers (exact), and
    the analyses: receptive fields (rf), live and kept memory (memory), share bars (bars), an HTML chart (chart), the
    cost of a training step with an optimizer and frozen layers (training)."""

    fold: bool = True
    depth: int | None = None
    exact: bool = False
    rf: bool = False
    memory: bool = False
    bars: bool = False
    chart: bool = False
    training: bool = False
    optimizer: str = "adam"
    freeze: str | None = None


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
    for prefix, quantity in MARKED:
        index = next((i for i, column in enumerate(cols) if column.header.split()[0] == prefix), None)
        if index is None or not rows:
            continue
        best = max(range(len(rows)), key=lambda r: rows[r].total(quantity))
        if rows[best].total(quantity):
            marked.add((best, index))
    return frozenset(marked)


def layer_table(profile: Profile, view: View = View(), extra: list[Column] | None = None,
                title_text: str = "") -> Table:
    """The per-layer table with its total row; the conventions as its caption."""
    rows = table_rows(profile, view.fold, view.depth)
    cols = columns(view.exact) + list(extra or ())
    body = [[column.cell(row, profile) for column in cols] for row in rows]
    return table([c.header for c in cols], body, [c.numeric for c in cols],
                 footer=[column.total(profile) for column in cols], title=title_text,
                 caption=COUNTING_RULES, hide=HIDE_ORDER, marked=_heaviest(rows, cols))


def profile_document(profile: Profile, view: View = View(), hint: str = "") -> Document:
    """The document of `cnncost table`: the layer table, a hint line (such as how to see every row), the totals,
    then the analyses' sections."""
    from .document import Text

    extra: list[Column] = []
    notes = []
    graph = inference = training = None
    if view.rf or view.memory:
        from ..analysis import graph_of

        graph = graph_of(profile)
    if view.rf:
        from ..analysis.receptive import NOTES as FIELD_NOTES
        from ..analysis.receptive import receptive_fields
        from .analyses import field_columns

        extra += field_columns(receptive_fields(graph, profile))
        notes.append(FIELD_NOTES)
    if view.memory:
        from ..analysis.memory import inference_memory, training_memory
        from .analyses import memory_columns

        inference, training = inference_memory(graph, profile), training_memory(graph, profile)
        extra += memory_columns(profile, inference, training, view.exact)
    step = None
    if view.training:
        from ..analysis.training import training_step
        from .analyses import training_columns

        step = training_step(profile, view.optimizer, view.freeze)
        extra += training_columns(step, view.exact)
    if view.bars:
        from .analyses import BAR_NOTE, bar_columns

        extra += bar_columns(profile, table_rows(profile, view.fold, view.depth))
        notes.append(BAR_NOTE)
    blocks: list = [replace(layer_table(profile, view, extra), caption="")]
    if hint:
        blocks.append(Text(hint))
    blocks += [Facts(tuple(summary_lines(profile))), Text(" ".join([COUNTING_RULES, *notes]))]
    if step is not None:
        from .analyses import TRAINING_NOTE, training_facts

        blocks += [Heading(f"One training step ({step.optimizer.label})"), Facts(tuple(training_facts(step, profile))),
                   Text(TRAINING_NOTE)]
    if view.chart:
        blocks.append(share_chart(profile, view))
    if view.memory:
        from .analyses import memory_document

        memory = memory_document(profile, inference, training, view.exact)
        blocks += [Heading(memory.title), *memory.blocks]
    return Document(title(profile), tuple(blocks))


def share_chart(profile: Profile, view: View) -> Chart:
    """Where activation memory, parameters and MACs go, row by row (the bars of `cnncost plot`)."""
    rows = table_rows(profile, view.fold, view.depth)
    series = tuple((name, tuple(float(row.total(quantity)) for row in rows))
                   for name, quantity in (("activation memory", "activation_bytes"), ("params", "params"),
                                          ("MACs", "macs")))
    return Chart("Per row: activation memory, params and MACs, each scaled to its largest row",
                 tuple(row.name for row in rows), series)
