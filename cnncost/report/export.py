"""A profile to files: CSV and JSON (raw integers, the rows of the view, the analyses' columns, the batch, dtype,
input and convention), and the Markdown and HTML of its document, written atomically."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..analysis.storage import activation_storage_bytes
from ..counting import COUNTING_RULES
from ..files import write_atomic
from ..quantities import KEYS
from ..results import LayerCost, Profile, provides
from .analysis_views import FOLDS, computed, slowest_bound
from .document import Document, Text
from .html import fragment
from .html import to_html as html
from .markdown import to_markdown as markdown
from .profile_table import profile_document, screen_depth
from .rows import Row, table_rows
from .view import View

FRAME_COLUMNS = (
    *("name", "op", "inputs", "input_shape", "output_shape", "attributes", *KEYS, "in_place", "counted"),
    *("class", "depth", "parent"),
)
CONTEXT_COLUMNS = ("network", "input", "batch", "dtype", "convention")  # on every CSV row: what the figures are of


@provides("to_dict")
def profile_dict(profile: Profile) -> dict[str, Any]:
    """Metadata, totals and layers as plain data."""
    total = profile.total
    storage = activation_storage_bytes(profile)
    return {
        "name": profile.name,
        "input_shape": list(profile.input_shape.dims),
        "batch": profile.batch,
        "dtype": profile.dtype,
        "bytes_per_element": profile.bytes_per_element,
        "convention": profile.convention,
        **(
            {"target": profile.prediction.target, "prediction": {"error": profile.prediction.error}}
            if profile.prediction
            else {}
        ),
        "conventions": COUNTING_RULES,
        # how it was recorded; another tool's convention, where one was asked for
        "notes": [note.text for note in profile.notes],
        "total": {
            "params": total.params,
            "trainable_params": total.trainable_params,
            **{key: getattr(total, key) for key in KEYS if key != "params"},
            "input_bytes": total.input_bytes,
            "param_bytes": total.param_bytes,
            "buffer_bytes": total.buffer_bytes,
            "total_bytes": total.total_bytes,  # input + the sum of layer outputs + weights
            # the table's headline: each activation storage once, and the estimated total from it
            "activation_storage_bytes": storage,
            "estimated_total_bytes": total.input_bytes + storage + total.param_bytes + total.buffer_bytes,
            "complete": not profile.uncounted,  # False: layers without a formula leave MACs and FLOPs unknown
            "uncounted": [cost.name for cost in profile.uncounted],
            **({"predicted_seconds": total.predicted_seconds} if profile.prediction else {}),
        },
        "layers": [
            {
                "name": cost.name,
                "op": cost.op,
                "inputs": list(cost.inputs),
                "input_shapes": [list(shape.dims) for shape in cost.input_shapes],
                "output_shape": list(cost.output_shape.dims),
                "attributes": cost.attributes,
                **{key: getattr(cost, key) for key in KEYS},
                "in_place": cost.in_place,
                "counted": cost.counted,
                **place(cost),
                **(_predicted(cost) if profile.prediction else {}),
            }
            for cost in profile.layers
        ],
    }


def _predicted(cost: LayerCost) -> dict[str, Any]:
    """A layer's predicted seconds on the profile's target, and its bound (None where no kernel runs)."""
    return {"predicted_seconds": cost.predicted_seconds, "bound": cost.bound}


def place(cost: LayerCost, missing: Any = None) -> dict[str, Any]:
    """Where a layer sits, as torchinfo shows it: the class of the module whose forward it is (missing for a
    function called in a forward, and in a built-in network), its depth (layer1.0.conv1: 3) and its parent
    (layer1.0)."""
    path = re.sub(r"#\d+", "", cost.name)
    return {"class": cost.module or missing, "depth": path.count(".") + 1, "parent": path.rpartition(".")[0]}


def _shapes(shapes) -> str:
    return ";".join(str(shape) for shape in shapes)


def layer_records(profile: Profile) -> list[dict[str, Any]]:
    """One plain dict per layer, in FRAME_COLUMNS: integers stay integers; shapes, inputs and attributes as text."""
    return [
        {
            "name": cost.name,
            "op": cost.op,
            "inputs": ";".join(cost.inputs),
            "input_shape": _shapes(cost.input_shapes),
            "output_shape": str(cost.output_shape),
            "attributes": json.dumps(cost.attributes, sort_keys=True),
            **{key: getattr(cost, key) for key in KEYS},
            "in_place": cost.in_place,
            "counted": cost.counted,
            **place(cost, missing=""),
        }
        for cost in profile.layers
    ]


def _deliver(text: str, path) -> str:
    if path is not None:
        write_atomic(path, text)
    return text


def context(profile: Profile) -> dict[str, Any]:
    """What every CSV row carries so that a file read alone says what its figures are of."""
    return {
        "network": profile.name,
        "input": str(profile.sample_input_shape),
        "batch": profile.batch,
        "dtype": profile.dtype,
        "convention": profile.convention,
    }


def _summed(row: Row) -> dict[str, int]:
    """A block's quantities: the sums over its layers."""
    return {key: row.total(key) for key in KEYS}


def block_record(row: Row) -> dict[str, Any]:
    """A folded block as one CSV record: its layers' quantities summed, the first layer's input, the last one's
    output."""
    first, last = row.layers[0], row.layers[-1]
    return {
        "name": row.name,
        "op": "block",
        "inputs": ";".join(first.inputs),
        "input_shape": _shapes(first.input_shapes),
        "output_shape": str(last.output_shape),
        "attributes": json.dumps({"layers": len(row.layers)}),
        **_summed(row),
        "in_place": False,
        "counted": row.counted,
    }


def _json_block(row: Row) -> dict[str, Any]:
    """A folded block in JSON: as a layer of profile_dict, its quantities summed, op 'block' and its layer count."""
    first, last = row.layers[0], row.layers[-1]
    return {
        "name": row.name,
        "op": "block",
        "layers": len(row.layers),
        "inputs": list(first.inputs),
        "input_shapes": [list(shape.dims) for shape in first.input_shapes],
        "output_shape": list(last.output_shape.dims),
        **_summed(row),
        "in_place": False,
        "counted": row.counted,
    }


def view_rows(profile: Profile, depth: int | None) -> list[Row]:
    """The rows of an export: one per layer, or with depth one per table row (in-place layers not folded)."""
    if depth is None:
        return [Row((cost,)) for cost in profile.layers]
    return table_rows(profile, fold=False, depth=depth)


def layer_analyses(profile: Profile, found) -> dict[str, dict[str, Any]]:
    """Per layer (by name), the raw columns of the analyses computed: receptive field, live and kept bytes, training
    costs."""
    per_layer: dict[str, dict[str, Any]] = {cost.name: {} for cost in profile.layers}
    for analysis, result in found:
        if analysis.records:
            for cost, record in zip(profile.layers, analysis.records(result, profile), strict=True):
                per_layer[cost.name].update(record)
    return per_layer


def row_analyses(per_layer: dict[str, dict[str, Any]], rows: Sequence[Row], found) -> list[dict[str, Any]]:
    """The analyses of each row: each raw column folded as its analysis says (a block's live bytes its largest, its
    kept bytes and training costs their sums), else the row's last layer's (its receptive field)."""
    folds = {key: how for analysis, _ in found for key, how in analysis.folds.items()}
    result = []
    for row in rows:
        records = [per_layer[cost.name] for cost in row.layers]
        merged = dict(records[-1])
        for key, how in folds.items():
            if key in merged and how == "slowest":  # the bound of the row's slowest layer, as the table shows it
                merged[key] = slowest_bound([(record["predicted_seconds"], record[key]) for record in records])
            elif key in merged:
                merged[key] = FOLDS[how](record[key] for record in records)
        result.append(merged)
    return result


def records(profile: Profile, view: View = View()) -> list[dict[str, Any]]:
    """The CSV's records: the view's rows, their analyses, and the context columns."""
    rows = view_rows(profile, view.depth)
    by_name = {record["name"]: record for record in layer_records(profile)}
    base = [block_record(row) if row.is_block else by_name[row.name] for row in rows]
    meta = context(profile)
    found = computed(profile, view)
    extras = row_analyses(layer_analyses(profile, found), rows, found)
    return [{**record, **extra, **meta} for record, extra in zip(base, extras, strict=True)]


def records_csv(found: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row, one line per record, '\\n' line ends; integers stay exact, None is an empty cell."""
    import pandas as pd

    frame = pd.DataFrame(list(found), columns=list(columns) if columns else None, dtype=object)
    return frame.to_csv(index=False, lineterminator="\n")


@provides("to_frame")
def to_frame(profile: Profile):
    """A pandas DataFrame, one row per layer, raw integers; on a target, each layer's predicted seconds and bound."""
    import pandas as pd

    rows = layer_records(profile)
    if profile.prediction is None:
        return pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
    rows = [{**row, **_predicted(cost)} for row, cost in zip(rows, profile.layers, strict=True)]
    return pd.DataFrame(rows, columns=[*FRAME_COLUMNS, "predicted_seconds", "bound"])


@provides("to_csv")
def to_csv(profile: Profile, path=None, view: View = View()) -> str:
    """CSV of records(): one row per layer (or per block, with a depth), raw integers, with the context columns."""
    return _deliver(records_csv(records(profile, view)), path)


def json_data(profile: Profile, view: View = View()) -> dict[str, Any]:
    """profile_dict() with each layer's analyses; with a depth, also the rows of that view; and each analysis's own
    part (the memory totals, the training step)."""
    data = profile_dict(profile)
    found = computed(profile, view)
    per_layer = layer_analyses(profile, found)
    data["layers"] = [{**layer, **per_layer[layer["name"]]} for layer in data["layers"]]
    if view.depth is not None:
        rows = view_rows(profile, view.depth)
        by_name = {layer["name"]: layer for layer in data["layers"]}
        data["depth"] = view.depth
        data["rows"] = [
            {**(_json_block(row) if row.is_block else by_name[row.name]), **extra}
            for row, extra in zip(rows, row_analyses(per_layer, rows, found), strict=True)
        ]
    for analysis, result in found:
        if analysis.json_key and analysis.json:
            data[analysis.json_key] = analysis.json(result)
    return data


@provides("to_json")
def to_json(profile: Profile, path=None, view: View = View()) -> str:
    """JSON of json_data(), written atomically to path when one is given."""
    return _deliver(json.dumps(json_data(profile, view), indent=2) + "\n", path)


@provides("to_markdown")
def to_markdown(profile: Profile, path=None, view: View = View()) -> str:
    """The profile's document in Markdown: the table (units k, M, KB), the conventions and the totals."""
    return _deliver(markdown(profile_document(profile, view)), path)


@provides("to_html")
def to_html(profile: Profile, path=None, view: View = View(chart=True)) -> str:
    """The profile's document as a self-contained HTML page."""
    return _deliver(html(profile_document(profile, view)), path)


NOTEBOOK_ROWS = 60  # a notebook cell's screenful: a longer table folds to the deepest depth that fits


@provides("_repr_html_")
def notebook_html(profile: Profile) -> str:
    """The table, the totals and the conventions as an HTML fragment for a notebook cell, folded as the terminal
    folds it to a screenful, with a line saying where every layer is."""
    depth = screen_depth(profile, fold=True, lines=NOTEBOOK_ROWS)
    document = profile_document(profile, View(depth=depth))
    if depth is not None:
        note = Text(
            f"Folded to depth {depth} to fit a screen: profile.to_html(path) writes every layer as a sortable page, "
            "profile.to_frame() has them as a table."
        )
        document = Document(document.title, (note, *document.blocks))
    return fragment(document)
