"""Presentation of the analyses: receptive-field, memory and share-bar columns for the layer table, the memory
section under it, and their plain-data form for CSV and JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import units
from ..analysis import graph_of
from ..analysis.optimizers import OPTIMIZERS
from ..analysis.training import TrainingStep, training_step
from ..results import Profile
from .columns import Column, with_scale
from .document import Block, Document, Facts, Heading, Text, table
from .rows import Row, table_rows
from .view import View

if TYPE_CHECKING:  # the memory and receptive-field analyses load only where a view asks for them (15 ms)
    from ..analysis.memory import InferenceMemory, TrainingMemory
    from ..analysis.receptive import ReceptiveField

BAR_WIDTH = 10  # characters of the longest bar
EIGHTHS = " ▏▎▍▌▋▊▉█"
BAR_NOTE = "Bars: each row's share of the network's total, scaled so that the largest row fills the column."


def axes_text(*values) -> str:
    """'7' when every axis agrees, else '7x1' (H x W), '3x7x7' (T x H x W); '' for no axis; fractions as 1/2."""
    if not values:
        return ""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _field_cell(fields: dict[str, ReceptiveField], quantity: str):
    def cell(row: Row, profile: Profile) -> str:
        rf = fields[row.layers[-1].name]
        text = axes_text(*(getattr(axis, quantity) for axis in rf.axes))
        return text if rf.exact or quantity != "size" or not text else f"~{text}"

    return cell


def field_columns(fields: Sequence[ReceptiveField]) -> list[Column]:
    """RF (size), jump and start of each row's output (the last layer of a folded row)."""
    by_name = {rf.name: rf for rf in fields}
    return [
        Column("RF", _field_cell(by_name, "size")),
        Column("jump", _field_cell(by_name, "jump")),
        Column("start", _field_cell(by_name, "start")),
    ]


def _sum_known(values: Iterable[Any]) -> Any:
    """The sum, or None where a value is unknown (None)."""
    found = list(values)
    return None if None in found else sum(found)


FOLDS: dict[str, Callable[[Iterable[Any]], Any]] = {
    "max": max,
    "sum": _sum_known,
    "fsum": lambda values: sum(value or 0.0 for value in values),  # seconds, where a layer without a kernel has none
}  # how a raw column folds into a block
MEMORY_FOLDS = {"live_bytes": "max", "kept_bytes": "sum"}
TRAINING_FIELDS = ("input_grad_macs", "weight_grad_macs", "backward_flops", "trained_params", "optimizer_flops")
TRAINING_FOLDS = dict.fromkeys(TRAINING_FIELDS, "sum")
TRAINING_HEADERS = (
    ("in-grad MACs", "input_grad_macs"),
    ("w-grad MACs", "weight_grad_macs"),
    ("bwd FLOPs", "backward_flops"),
    ("opt FLOPs", "optimizer_flops"),
)


def folded(records: dict[str, dict[str, Any]], row: Row, key: str, folds: dict[str, str]) -> int:
    """A raw column of a row's layers, folded as the analysis says (a block's largest, or its sum)."""
    return FOLDS[folds[key]](records[cost.name][key] for cost in row.layers)


def memory_columns(
    profile: Profile, inference: InferenceMemory, training: TrainingMemory, exact: bool = False
) -> list[Column]:
    """live: activation bytes live while the row runs (its largest, for a folded row; the total row: the peak);
    kept: bytes of the row's outputs and extra tensors that autograd keeps for backward."""
    records = dict(
        zip((cost.name for cost in profile.layers), memory_records(profile, inference, training), strict=True)
    )
    unit, size = ("B", 1) if exact else units.byte_unit(max(inference.peak_bytes, training.activation_bytes))
    fmt = (
        (lambda n: "" if n is None else f"{n:,}") if exact else (lambda n: "" if n is None else units.in_unit(n, size))
    )
    return [
        Column(
            f"live {unit}",
            lambda row, p: fmt(folded(records, row, "live_bytes", MEMORY_FOLDS)),
            lambda p: fmt(inference.peak_bytes),
        ),
        Column(
            f"kept {unit}",
            lambda row, p: fmt(folded(records, row, "kept_bytes", MEMORY_FOLDS)),
            lambda p: fmt(training.activation_bytes),
        ),
    ]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` characters for fraction 0..1, in eighths of a character; anything above zero shows."""
    eighths = round(fraction * width * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1
    full, rest = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[rest] if rest else "")).ljust(width)


def bar_columns(profile: Profile, rows: Sequence[Row]) -> list[Column]:
    """A bar per row for its share of params, MACs and memory, scaled to the largest row."""
    result = []
    for header, quantity in (("params", "params"), ("MACs", "macs"), ("memory", "activation_bytes")):
        largest = max((row.total(quantity) for row in rows), default=0)

        def cell(row: Row, p: Profile, quantity=quantity, largest=largest) -> str:
            return bar(row.total(quantity) / largest if largest else 0.0)

        result.append(Column(header.ljust(BAR_WIDTH), cell, numeric=False))
    return result


def _bytes(n: int, exact: bool) -> str:
    return f"{n:,}" if exact else units.megabytes_value(n)


def memory_document(
    profile: Profile, inference: InferenceMemory, training: TrainingMemory, exact: bool = False
) -> Document:
    """Inference and training memory as tables, then the assumptions."""
    unit = "bytes" if exact else "MB"
    weights = inference.weight_bytes + inference.buffer_bytes
    inference_rows = [
        ("activations: sum of layer outputs (the lecture tables' figure)", inference.sum_bytes),
        (f"activations: peak live in a forward pass (at {inference.peak_layer}, input included)", inference.peak_bytes),
        ("weights (parameters)", inference.weight_bytes),
        ("buffers (batch-norm statistics)", inference.buffer_bytes),
    ]
    inference_table = table(
        ("inference", unit),
        [(label, _bytes(n, exact)) for label, n in inference_rows],
        (False, True),
        footer=("weights + buffers + peak live", _bytes(weights + inference.peak_bytes, exact)),
    )
    parts = [
        ("weights", lambda o: training.weight_bytes),
        ("buffers", lambda o: training.buffer_bytes),
        ("gradients", lambda o: training.gradient_bytes),
        ("optimizer state", training.optimizer_bytes),
        ("activations kept for backward", lambda o: training.activation_bytes),
    ]
    training_table = table(
        ("training step", *(f"{o.label} {unit}" for o in OPTIMIZERS)),
        [(label, *(_bytes(amount(o), exact) for o in OPTIMIZERS)) for label, amount in parts],
        (False, *(True for _ in OPTIMIZERS)),
        footer=("total", *(_bytes(training.total_bytes(o), exact) for o in OPTIMIZERS)),
    )
    from ..analysis.memory import TRAINING_ASSUMPTIONS

    assumptions = list(TRAINING_ASSUMPTIONS)
    if training.guessed:
        assumptions.append(
            "kept tensors guessed as their inputs, for layers without a formula and for recurrent and "
            "nn.MultiheadAttention layers, which keep more of their own: " + ", ".join(training.guessed)
        )
    title = f"Memory of {profile.name}: {profile.sample_input_shape}, batch {profile.batch}, {profile.dtype}"
    note = (
        "Peak live: the activations alive while each layer runs, a tensor freed after its last reader (in-place "
        "layers and views share their input's storage), the input held by the caller throughout, and what a layer "
        "allocates while it runs (max pooling's int64 indices, local response norm's temporaries): the layer "
        "table's 'live' column. The 'kept' column: the "
        "row's outputs and extra tensors (indices, masks, statistics) that autograd keeps for the backward pass; "
        "its total also counts the input batch. MB = 1024 x 1024 bytes."
    )
    if profile.training_profile is not None:
        note += (
            " This module's training-mode forward runs other layers than the table's eval-mode one: the training "
            "figures are that forward's, so the 'kept' column shows its total alone."
        )
    return Document(
        title, (inference_table, Text(note), training_table, Text("Training assumptions:", tuple(assumptions)))
    )


def _number(value):
    """An int as it is; a fraction (after upsampling) as a float."""
    return value if value is None or isinstance(value, int) else float(value)


def field_records(fields: Sequence[ReceptiveField]) -> list[dict[str, Any]]:
    """One plain dict per layer: size, jump and start along H and W (the last two axes; None for a layer that sees
    no pixel, such as a parameter), and whether the field is exact."""
    records = []
    for rf in fields:
        h, w = rf.height, rf.width
        records.append(
            {
                "name": rf.name,
                "rf_h": _number(h and h.size),
                "rf_w": _number(w and w.size),
                "jump_h": _number(h and h.jump),
                "jump_w": _number(w and w.jump),
                "start_h": _number(h and h.start),
                "start_w": _number(w and w.start),
                "rf_exact": rf.exact,
            }
        )
    return records


def memory_dict(inference: InferenceMemory, training: TrainingMemory) -> dict[str, Any]:
    """Totals in raw bytes, per optimizer, with the assumptions."""
    from ..analysis.memory import TRAINING_ASSUMPTIONS

    return {
        "inference": {
            "sum_of_outputs_bytes": inference.sum_bytes,
            "peak_live_bytes": inference.peak_bytes,
            "peak_layer": inference.peak_layer,
            "weight_bytes": inference.weight_bytes,
            "buffer_bytes": inference.buffer_bytes,
        },
        "training": {
            "weight_bytes": training.weight_bytes,
            "buffer_bytes": training.buffer_bytes,
            "gradient_bytes": training.gradient_bytes,
            "activations_kept_bytes": training.activation_bytes,
            "optimizer_state_bytes": {o.name: training.optimizer_bytes(o) for o in OPTIMIZERS},
            "total_bytes": {o.name: training.total_bytes(o) for o in OPTIMIZERS},
            "assumptions": list(TRAINING_ASSUMPTIONS),
            "guessed_layers": list(training.guessed),
        },
    }


def memory_records(profile: Profile, inference: InferenceMemory, training: TrainingMemory) -> list[dict[str, Any]]:
    """Per layer: live bytes while it runs and bytes of its tensors kept for backward (None where the training
    forward runs other layers than the table's: its figures belong to none of these rows, only to the total)."""
    kept = training.kept_by_layer()
    apart = profile.training_profile is not None
    return [
        {"live_bytes": live, "kept_bytes": None if apart else kept.get(cost.name, 0)}
        for cost, live in zip(profile.layers, inference.live_bytes, strict=True)
    ]


TRAINING_NOTE = (
    "Training: backward MACs are the products the backward pass repeats, one input gradient (when an "
    "input needs a gradient) and one weight gradient (when the layer's parameters are trained) per layer "
    "that multiplies; no input gradient is computed before the first trained parameter, none for the "
    "weights of frozen layers. Backward FLOPs = 2 per backward MAC + the layer's other forward FLOPs "
    "once more; the optimizer's step costs a fixed number of FLOPs per trained parameter; bias "
    "gradients (sums) are not counted."
)


def training_columns(step, exact: bool = False) -> list[Column]:
    """Per row: input-gradient and weight-gradient MACs, backward FLOPs and the optimizer's FLOPs, summed over the
    row's layers."""
    records = dict(zip((layer.name for layer in step.layers), training_records(step), strict=True))
    fmt = (lambda n: f"{n:,}") if exact else units.millions
    unit = "" if exact else " M"

    def column(header: str, field: str) -> Column:
        def cell(row: Row, p: Profile) -> str:
            return fmt(folded(records, row, field, TRAINING_FOLDS))

        return Column(header + unit, cell, lambda p: fmt(getattr(step, field)))

    return [column(header, field) for header, field in TRAINING_HEADERS]


def training_facts(step, profile: Profile) -> list[tuple[str, str]]:
    """One training step in totals: forward, backward, optimizer."""
    frozen = profile.total.params - step.trained_params
    return [
        ("Optimizer", f"{step.optimizer.label}: {step.optimizer.step_flops} FLOPs per trained parameter"),
        (
            "Trained params",
            f"{step.trained_params:,} of {profile.total.params:,}" + (f" ({frozen:,} frozen)" if frozen else ""),
        ),
        (
            "Frozen layers (--freeze)",
            f"{len(step.frozen)}: {step.frozen[0]} .. {step.frozen[-1]}" if step.frozen else "none",
        ),
        ("Forward MACs", with_scale(step.forward_macs)),
        ("Backward MACs, input gradients", with_scale(step.input_grad_macs)),
        ("Backward MACs, weight gradients", with_scale(step.weight_grad_macs)),
        ("Forward FLOPs", with_scale(step.forward_flops)),
        ("Backward FLOPs", with_scale(step.backward_flops)),
        ("Optimizer step FLOPs", with_scale(step.optimizer_flops)),
        ("Training step FLOPs (forward + backward + optimizer)", with_scale(step.total_flops)),
    ]


def training_records(step) -> list[dict[str, int]]:
    """Per layer, raw integers."""
    return [{field: getattr(layer, field) for field in TRAINING_FIELDS} for layer in step.layers]


def training_dict(step) -> dict[str, Any]:
    """The totals of a training step, raw integers."""
    return {
        "optimizer": step.optimizer.name,
        "optimizer_step_flops_per_param": step.optimizer.step_flops,
        "frozen_layers": list(step.frozen),
        "trained_params": step.trained_params,
        "forward_macs": step.forward_macs,
        "forward_flops": step.forward_flops,
        "input_grad_macs": step.input_grad_macs,
        "weight_grad_macs": step.weight_grad_macs,
        "backward_macs": step.backward_macs,
        "backward_flops": step.backward_flops,
        "optimizer_flops": step.optimizer_flops,
        "total_flops": step.total_flops,
        "notes": TRAINING_NOTE,
    }


# --- the analyses a profile's table can add, one row each -------------------------------------------------------


@dataclass(frozen=True)
class Analysis:
    """One analysis a profile's table can add, in every format: the View flag that asks for it, how it is computed,
    the columns it adds to the table, its raw per-layer columns (CSV, JSON) and how they fold into a block's row
    ('sum', 'max'; otherwise the block's last layer's), its section under the totals, its part of the JSON, and the
    note it adds to the conventions under the table."""

    flag: str
    compute: Callable[[Profile, View], Any]
    columns: Callable[[Any, Profile, View], list[Column]]
    records: Callable[[Any, Profile], list[dict[str, Any]]] | None = None
    folds: dict[str, str] = field(default_factory=dict)
    section: Callable[[Any, Profile, View], list[Block]] | None = None
    after_chart: bool = False  # a section of its own after the share chart, rather than part of the totals
    json_key: str | None = None
    json: Callable[[Any], Any] | None = None
    note: Callable[[Any], str] | None = None  # what it adds to the conventions under the table
    present: Callable[[Profile], bool] | None = None  # shown whenever the profile holds it, as a prediction

    def asked(self, view: View, profile: Profile) -> bool:
        if self.present is not None:
            return self.present(profile)
        return bool(getattr(view, self.flag))


def _fields(profile: Profile, view: View) -> tuple[ReceptiveField, ...]:
    from ..analysis.receptive import receptive_fields

    return receptive_fields(graph_of(profile), profile)


def _field_notes(fields) -> str:
    from ..analysis.receptive import NOTES

    return NOTES


def _memory(profile: Profile, view: View) -> tuple[InferenceMemory, TrainingMemory]:
    from ..analysis.memory import inference_memory, training_memory

    trained = profile.training_profile or profile  # a forward that runs other layers in training mode: its own
    freeze = _freeze_in(trained, profile, view.freeze)
    return (inference_memory(graph_of(profile), profile), training_memory(graph_of(trained), trained, freeze))


def _freeze_in(trained: Profile, profile: Profile, freeze):
    """--freeze for the training forward: as given where its names are there, else the table's layers it names that
    the training forward runs too (a layer of the eval forward alone is trained in no step)."""
    if not freeze or trained is profile:
        return freeze
    from ..analysis.gradients import frozen_layers
    from ..errors import CnnCostError

    try:
        frozen_layers(trained, freeze)
        return freeze
    except CnnCostError:
        ran = {cost.name for cost in trained.layers}
        return [name for name in frozen_layers(profile, freeze) if name in ran] or None


def _training(profile: Profile, view: View) -> TrainingStep:
    return training_step(profile, view.optimizer, view.freeze)


def _memory_columns(found: tuple[InferenceMemory, TrainingMemory], profile: Profile, view: View) -> list[Column]:
    """The live and kept columns, in bytes or MB as the view asks."""
    return memory_columns(profile, *found, view.exact)


def _memory_section(found: tuple[InferenceMemory, TrainingMemory], profile: Profile, view: View) -> list[Block]:
    memory = memory_document(profile, *found, view.exact)
    return [Heading(memory.title), *memory.blocks]


def _training_section(step: TrainingStep, profile: Profile, view: View) -> list[Block]:
    return [
        Heading(f"One training step ({step.optimizer.label})"),
        Facts(tuple(training_facts(step, profile))),
        Text(TRAINING_NOTE),
    ]


PREDICTION_FIELDS = ("predicted_seconds", "bound")
PREDICTION_FOLDS = {"predicted_seconds": "fsum", "bound": "slowest"}
PREDICTION_NOTE = (
    "pred ms: each row's predicted time on the target (the forward pass), from its FLOPs and the bytes it moves at "
    "the device's peak rates, an efficiency per kind of kernel and a cost per kernel (README: predicted latency); "
    "bound: what decides it (compute, memory, or the per-kernel overhead; a folded row: its slowest layer's)."
)


def prediction_records(profile: Profile) -> list[dict[str, Any]]:
    """Per layer: its predicted seconds and bound (None where no kernel runs)."""
    return [{"predicted_seconds": cost.predicted_seconds, "bound": cost.bound} for cost in profile.layers]


def slowest_bound(layers: Sequence[tuple[float | None, str | None]]) -> str | None:
    """Of (predicted seconds, bound) pairs, the slowest one's bound: what a folded row shows as its bound."""
    return max(layers, key=lambda layer: layer[0] or 0.0)[1]


def prediction_columns(profile: Profile) -> list[Column]:
    """pred ms, its share of the predicted total, and the bound."""
    whole = profile.total.predicted_seconds or 0.0

    def seconds(row: Row) -> float:
        return sum(cost.predicted_seconds or 0.0 for cost in row.layers)

    return [
        Column("pred ms", lambda row, p: units.milliseconds(seconds(row)), lambda p: units.milliseconds(whole)),
        Column("time %", lambda row, p: f"{seconds(row) / whole:.1%}" if whole else "", lambda p: "100%"),
        Column(
            "bound",
            lambda row, p: slowest_bound([(c.predicted_seconds, c.bound) for c in row.layers]) or "",
            lambda p: "",
            numeric=False,
        ),
    ]


def prediction_facts(profile: Profile) -> list[tuple[str, str]]:
    """The predicted total, its throughput, the device and the error the prediction carries."""
    found = profile.prediction
    assert found is not None
    bounds = time_by_bound(profile)
    split = ", ".join(f"{bound} {seconds / found.seconds:.0%}" for bound, seconds in bounds.items() if found.seconds)
    rate = f" ({profile.batch / found.seconds:,.1f} samples/s)" if found.seconds else " (no layer runs a kernel)"
    facts = [
        ("Target", f"{found.target}: {found.name} ({found.kind})"),
        ("Rates read", f"at {found.dtype}: {found.rates}"),
        (
            "Predicted time",
            f"{units.milliseconds(found.seconds)} ms for the forward pass of a batch of {profile.batch:,}{rate}; "
            f"{found.error}",
        ),
        ("Time by bound", split or "-"),
    ]
    if found.unknown_layers:
        facts.append(("Layers without a formula", f"{found.unknown_layers}: predicted from the bytes they move alone"))
    return facts


def time_by_bound(profile: Profile) -> dict[str, float]:
    """Predicted seconds per bound: compute, memory, overhead."""
    found: dict[str, float] = {}
    for cost in profile.layers:
        if cost.bound:
            found[cost.bound] = found.get(cost.bound, 0.0) + (cost.predicted_seconds or 0.0)
    return found


def prediction_dict(profile: Profile) -> dict[str, Any]:
    """The prediction as plain data."""
    found = profile.prediction
    assert found is not None
    return {
        "target": found.target,
        "name": found.name,
        "kind": found.kind,
        "dtype": found.dtype,
        "predicted_seconds": found.seconds,
        "samples_per_second": profile.batch / found.seconds if found.seconds else None,
        "seconds_by_bound": time_by_bound(profile),
        "rates": found.rates,
        "error": found.error,
        "validated": found.validated,
        "typical_error": found.typical_error,
        "layers_without_formula": found.unknown_layers,
        "notes": PREDICTION_NOTE,
    }


ANALYSES = (
    Analysis(
        "rf",
        _fields,
        lambda fields, profile, view: field_columns(fields),
        records=lambda fields, profile: [
            {k: v for k, v in record.items() if k != "name"} for record in field_records(fields)
        ],
        json_key="receptive_field_notes",
        json=_field_notes,
        note=_field_notes,
    ),
    Analysis(
        "memory",
        _memory,
        _memory_columns,
        records=lambda found, profile: memory_records(profile, *found),
        folds=MEMORY_FOLDS,
        section=_memory_section,
        after_chart=True,
        json_key="memory",
        json=lambda found: memory_dict(*found),
    ),
    Analysis(
        "training",
        _training,
        lambda step, profile, view: training_columns(step, view.exact),
        records=lambda step, profile: training_records(step),
        folds=TRAINING_FOLDS,
        section=_training_section,
        json_key="training",
        json=training_dict,
    ),
    Analysis(
        "prediction",
        lambda profile, view: profile,
        lambda found, profile, view: prediction_columns(profile),
        records=lambda found, profile: prediction_records(profile),
        folds=PREDICTION_FOLDS,
        section=lambda found, profile, view: [Heading("Predicted latency"), Facts(tuple(prediction_facts(profile)))],
        json_key="prediction",
        json=prediction_dict,
        note=lambda found: PREDICTION_NOTE,
        present=lambda profile: profile.prediction is not None,
    ),
    Analysis(
        "bars",
        lambda profile, view: None,
        lambda _, profile, view: bar_columns(profile, table_rows(profile, view.fold, view.depth)),
        note=lambda _: BAR_NOTE,
    ),
)


def computed(profile: Profile, view: View) -> list[tuple[Analysis, Any]]:
    """The analyses the view asks for, each computed once, in the order of their columns."""
    return [(analysis, analysis.compute(profile, view)) for analysis in ANALYSES if analysis.asked(view, profile)]
