"""A profile to files: CSV and JSON (raw integers, the rows of the view, the analyses' columns, the batch, dtype,
input and convention), and the Markdown and HTML of its document, written atomically."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..files import write_atomic
from ..results import QUANTITIES, Profile, profile_dict, provides
from .profile_table import View, profile_document
from .rows import Row, table_rows

FRAME_COLUMNS = ("name", "op", "inputs", "input_shape", "output_shape", "attributes", "params", "buffers", "macs",
                 "flops", "activation_bytes", "in_place", "counted")
CONTEXT_COLUMNS = ("network", "input", "batch", "dtype", "convention")  # on every CSV row: what the figures are of


def _shapes(shapes) -> str:
    return ";".join(str(shape) for shape in shapes)


def layer_records(profile: Profile) -> list[dict[str, Any]]:
    """One plain dict per layer; integers stay integers."""
    return [
        {
            "name": cost.name, "op": cost.op, "inputs": ";".join(cost.inputs),
            "input_shape": _shapes(cost.input_shapes), "output_shape": str(cost.output_shape),
            "attributes": json.dumps(cost.attributes, sort_keys=True),
            "params": cost.params, "buffers": cost.buffers, "macs": cost.macs, "flops": cost.flops,
            "activation_bytes": cost.activation_bytes, "in_place": cost.in_place, "counted": cost.counted,
        }
        for cost in profile.layers
    ]


def _deliver(text: str, path) -> str:
    if path is not None:
        write_atomic(path, text)
    return text


def context(profile: Profile) -> dict[str, Any]:
    """What every CSV row carries so that a file read alone says what its figures are of."""
    return {"network": profile.name, "input": str(profile.sample_input_shape), "batch": profile.batch,
            "dtype": profile.dtype, "convention": profile.convention}


def _summed(row: Row) -> dict[str, int]:
    """A block's quantities: the sums over its layers."""
    return {quantity: row.total(quantity) for quantity in QUANTITIES}


def block_record(row: Row) -> dict[str, Any]:
    """A folded block as one CSV record: its layers' quantities summed, the first layer's input, the last one's output."""
    first, last = row.layers[0], row.layers[-1]
    return {"name": row.name, "op": "block", "inputs": ";".join(first.inputs),
            "input_shape": ";".join(str(shape) for shape in first.input_shapes), "output_shape": str(last.output_shape),
            "attributes": json.dumps({"layers": len(row.layers)}), **_summed(row), "in_place": False,
            "counted": row.counted}


def _json_block(row: Row) -> dict[str, Any]:
    """A folded block in JSON: as a layer of profile_dict, its quantities summed, op 'block' and its layer count."""
    first, last = row.layers[0], row.layers[-1]
    return {"name": row.name, "op": "block", "layers": len(row.layers), "inputs": list(first.inputs),
            "input_shapes": [list(shape.dims) for shape in first.input_shapes],
            "output_shape": list(last.output_shape.dims), **_summed(row), "in_place": False, "counted": row.counted}


def view_rows(profile: Profile, depth: int | None) -> list[Row]:
    """The rows of an export: one per layer, or with depth one per table row (in-place layers not folded)."""
    if depth is None:
        return [Row((cost,)) for cost in profile.layers]
    return table_rows(profile, fold=False, depth=depth)


def layer_analyses(profile: Profile, view: View) -> dict[str, dict[str, Any]]:
    """Per layer (by name), the analyses' raw columns: receptive field, live and kept bytes, training costs."""
    found: dict[str, dict[str, Any]] = {cost.name: {} for cost in profile.layers}

    def add(records: list[dict[str, Any]]) -> None:
        for cost, record in zip(profile.layers, records):
            found[cost.name].update(record)

    if view.training:
        from ..analysis.training import training_step
        from .analyses import training_records

        add(training_records(training_step(profile, view.optimizer, view.freeze)))
    if view.rf or view.memory:
        from ..analysis import graph_of

        graph = graph_of(profile)
        if view.rf:
            from ..analysis.receptive import receptive_fields
            from .analyses import field_records

            add([{k: v for k, v in record.items() if k != "name"}
                 for record in field_records(receptive_fields(graph, profile))])
        if view.memory:
            from ..analysis.memory import inference_memory, training_memory
            from .analyses import memory_records

            add(memory_records(profile, inference_memory(graph, profile), training_memory(graph, profile)))
    return found


def row_analyses(per_layer: dict[str, dict[str, Any]], rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The analyses of each row: a block's receptive field is its last layer's, its live bytes its largest, its kept
    bytes and training costs their sums."""
    result = []
    for row in rows:
        found = [per_layer[cost.name] for cost in row.layers]
        merged = dict(found[-1])
        for key in merged:
            if key == "live_bytes":
                merged[key] = max(record[key] for record in found)
            elif key in SUMMED:
                merged[key] = sum(record[key] for record in found)
        result.append(merged)
    return result


SUMMED = frozenset({"kept_bytes", "input_grad_macs", "weight_grad_macs", "backward_flops", "trained_params",
                    "optimizer_flops"})


def records(profile: Profile, view: View = View()) -> list[dict[str, Any]]:
    """The CSV's records: the view's rows, their analyses, and the context columns."""
    rows = view_rows(profile, view.depth)
    by_name = {record["name"]: record for record in layer_records(profile)}
    base = [block_record(row) if row.is_block else by_name[row.name] for row in rows]
    meta = context(profile)
    return [{**record, **extra, **meta} for record, extra in zip(base, row_analyses(layer_analyses(profile, view),
                                                                                     rows))]


def records_csv(found: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row, one line per record, '\\n' line ends; integers stay exact, None is an empty cell."""
    import pandas as pd

    frame = pd.DataFrame(list(found), columns=list(columns) if columns else None, dtype=object)
    return frame.to_csv(index=False, lineterminator="\n")


@provides("to_frame")
def to_frame(profile: Profile):
    """A pandas DataFrame, one row per layer, raw integers."""
    import pandas as pd

    return pd.DataFrame(layer_records(profile), columns=list(FRAME_COLUMNS))


@provides("to_csv")
def to_csv(profile: Profile, path=None, view: View = View()) -> str:
    """CSV of records(): one row per layer (or per block, with a depth), raw integers, with the context columns."""
    return _deliver(records_csv(records(profile, view)), path)


def to_json(profile: Profile, path=None, view: View = View()) -> str:
    """JSON of profile_dict(); with a depth, also the rows of that view; with analyses, their columns per layer."""
    data = profile_dict(profile)
    per_layer = layer_analyses(profile, view)
    data["layers"] = [{**layer, **per_layer[layer["name"]]} for layer in data["layers"]]
    if view.depth is not None:
        rows = view_rows(profile, view.depth)
        by_name = {layer["name"]: layer for layer in data["layers"]}
        data["depth"] = view.depth
        data["rows"] = [{**(_json_block(row) if row.is_block else by_name[row.name]), **extra}
                        for row, extra in zip(rows, row_analyses(per_layer, rows))]
    if view.memory:
        from ..analysis import graph_of
        from ..analysis.memory import inference_memory, training_memory
        from .analyses import memory_dict

        graph = graph_of(profile)
        data["memory"] = memory_dict(inference_memory(graph, profile), training_memory(graph, profile))
    if view.rf:
        from ..analysis.receptive import NOTES

        data["receptive_field_notes"] = NOTES
    if view.training:
        from ..analysis.training import training_step
        from .analyses import training_dict

        data["training"] = training_dict(training_step(profile, view.optimizer, view.freeze))
    return _deliver(json.dumps(data, indent=2) + "\n", path)


@provides("to_markdown")
def to_markdown(profile: Profile, path=None, view: View = View()) -> str:
    """The profile's document in Markdown: the table (units k, M, KB), the conventions and the totals."""
    from .markdown import to_markdown as markdown

    return _deliver(markdown(profile_document(profile, view)), path)


@provides("to_html")
def to_html(profile: Profile, path=None, view: View = View(chart=True)) -> str:
    """The profile's document as a self-contained HTML page."""
    from .html import to_html as html

    return _deliver(html(profile_document(profile, view)), path)


@provides("_repr_html_")
def notebook_html(profile: Profile) -> str:
    """The table, the totals and the conventions as an HTML fragment for a notebook cell."""
    from .html import fragment

    return fragment(profile_document(profile))
