"""A profile to files: CSV and JSON (raw integers, the rows of the view, the analyses' columns, the batch, dtype,
input and convention), and the Markdown and HTML of its document, written atomically."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..files import write_atomic
from ..results import Profile, layer_records, profile_dict
from .profile_table import View, profile_document
from .rows import Row, table_rows

FRAME_COLUMNS = ("name", "op", "inputs", "input_shape", "output_shape", "attributes", "params", "buffers", "macs",
                 "flops", "activation_bytes", "in_place", "counted")
CONTEXT_COLUMNS = ("network", "input", "batch", "dtype", "convention")  # on every CSV row: what the figures are of


def _deliver(text: str, path) -> str:
    if path is not None:
        write_atomic(path, text)
    return text


def context(profile: Profile) -> dict[str, Any]:
    """What every CSV row carries so that a file read alone says what its figures are of."""
    return {"network": profile.name, "input": str(profile.sample_input_shape), "batch": profile.batch,
            "dtype": profile.dtype, "convention": profile.convention}


def block_record(row: Row) -> dict[str, Any]:
    """A folded block as one record: its layers' quantities summed, the first layer's input, the last one's output."""
    first, last = row.layers[0], row.layers[-1]
    return {"name": row.name, "op": "block", "inputs": ";".join(first.inputs),
            "input_shape": ";".join(str(shape) for shape in first.input_shapes), "output_shape": str(last.output_shape),
            "attributes": json.dumps({"layers": len(row.layers)}), **{q: row.total(q) for q in (
                "params", "buffers", "macs", "flops", "activation_bytes")},
            "in_place": False, "counted": row.counted}


def _json_block(row: Row) -> dict[str, Any]:
    """A folded block in JSON: as a layer of profile_dict, its quantities summed, op 'block' and its layer count."""
    first, last = row.layers[0], row.layers[-1]
    return {"name": row.name, "op": "block", "layers": len(row.layers), "inputs": list(first.inputs),
            "input_shapes": [list(shape.dims) for shape in first.input_shapes],
            "output_shape": list(last.output_shape.dims),
            **{q: row.total(q) for q in ("params", "buffers", "macs", "flops", "activation_bytes")},
            "in_place": False, "counted": row.counted}


def row_records(profile: Profile, depth: int | None) -> tuple[list[dict[str, Any]], list[Row]]:
    """The records of a view: one per layer, or with depth one per table row (a block summed), and the rows."""
    layers = layer_records(profile)
    if depth is None:
        return layers, [Row((cost,)) for cost in profile.layers]
    rows = table_rows(profile, fold=False, depth=depth)
    by_name = {record["name"]: record for record in layers}
    return [block_record(row) if row.is_block else by_name[row.name] for row in rows], rows


def analysis_records(profile: Profile, view: View, rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per row, the analyses' raw columns: receptive field of its last layer; live bytes (its largest) and kept
    bytes (their sum)."""
    extras: list[dict[str, Any]] = [{} for _ in rows]
    if view.training:
        from ..analysis.training import training_step
        from .analysis import training_records

        step = training_step(profile, view.optimizer, view.freeze)
        per_layer = dict(zip((cost.name for cost in profile.layers), training_records(step)))
        for extra, row in zip(extras, rows):
            found = [per_layer[cost.name] for cost in row.layers]
            extra.update({key: sum(record[key] for record in found) for key in found[0]})
    if not (view.rf or view.memory):
        return extras
    from ..analysis import graph_of
    from .analysis import field_records, memory_records

    graph = graph_of(profile)
    if view.rf:
        from ..analysis.receptive import receptive_fields

        fields = {record.pop("name"): record for record in field_records(receptive_fields(graph, profile))}
        for extra, row in zip(extras, rows):
            extra.update(fields[row.layers[-1].name])
    if view.memory:
        from ..analysis.memory import inference_memory, training_memory

        per_layer = dict(zip((cost.name for cost in profile.layers), memory_records(
            profile, inference_memory(graph, profile), training_memory(graph, profile))))
        for extra, row in zip(extras, rows):
            found = [per_layer[cost.name] for cost in row.layers]
            extra.update(live_bytes=max(r["live_bytes"] for r in found), kept_bytes=sum(r["kept_bytes"] for r in found))
    return extras


def records(profile: Profile, view: View = View()) -> list[dict[str, Any]]:
    """The CSV's records: the view's rows, their analyses, and the context columns."""
    base, rows = row_records(profile, view.depth)
    meta = context(profile)
    return [{**record, **extra, **meta} for record, extra in zip(base, analysis_records(profile, view, rows))]


def records_csv(found: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """CSV with a header row, one line per record, '\\n' line ends; integers stay exact, None is an empty cell."""
    import pandas as pd

    frame = pd.DataFrame(list(found), columns=list(columns) if columns else None, dtype=object)
    return frame.to_csv(index=False, lineterminator="\n")


def to_frame(profile: Profile):
    """A pandas DataFrame, one row per layer, raw integers."""
    import pandas as pd

    return pd.DataFrame(layer_records(profile), columns=list(FRAME_COLUMNS))


def to_csv(profile: Profile, path=None, view: View = View()) -> str:
    """CSV of records(): one row per layer (or per block, with a depth), raw integers, with the context columns."""
    return _deliver(records_csv(records(profile, view)), path)


def to_json(profile: Profile, path=None, view: View = View()) -> str:
    """JSON of profile_dict(); with a depth, also the rows of that view; with analyses, their columns per layer."""
    data = profile_dict(profile)
    extras = analysis_records(profile, view, [Row((cost,)) for cost in profile.layers])
    data["layers"] = [{**layer, **extra} for layer, extra in zip(data["layers"], extras)]
    if view.depth is not None:
        rows = table_rows(profile, fold=False, depth=view.depth)
        by_name = {layer["name"]: layer for layer in data["layers"]}
        data["depth"] = view.depth
        data["rows"] = [{**(_json_block(row) if row.is_block else by_name[row.name]), **extra}
                        for row, extra in zip(rows, analysis_records(profile, view, rows))]
    if view.memory:
        from ..analysis import graph_of
        from ..analysis.memory import inference_memory, training_memory
        from .analysis import memory_dict

        graph = graph_of(profile)
        data["memory"] = memory_dict(inference_memory(graph, profile), training_memory(graph, profile))
    if view.rf:
        from ..analysis.receptive import NOTES

        data["receptive_field_notes"] = NOTES
    if view.training:
        from ..analysis.training import training_step
        from .analysis import training_dict

        data["training"] = training_dict(training_step(profile, view.optimizer, view.freeze))
    return _deliver(json.dumps(data, indent=2) + "\n", path)


def to_markdown(profile: Profile, path=None, view: View = View()) -> str:
    """The profile's document in Markdown: the table (units k, M, KB), the conventions and the totals."""
    from .markdown import to_markdown as markdown

    return _deliver(markdown(profile_document(profile, view)), path)


def to_html(profile: Profile, path=None, view: View = View(chart=True)) -> str:
    """The profile's document as a self-contained HTML page."""
    from .html import to_html as html

    return _deliver(html(profile_document(profile, view)), path)


def notebook_html(profile: Profile) -> str:
    """The table, the totals and the conventions as an HTML fragment for a notebook cell."""
    from .html import fragment

    return fragment(profile_document(profile))
