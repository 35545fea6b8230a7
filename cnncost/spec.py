"""Architectures written as TOML or JSON spec files: read them into a Graph, write a Graph out as one.

    name = "tiny"
    input = [3, 32, 32]

    [blocks.conv_bn_relu]            # a reusable block; "$name" values are its parameters
    layers = [
      { name = "conv", type = "conv2d", out_channels = "$width", kernel_size = 3, padding = 1, bias = false },
      { name = "bn", type = "batch_norm2d" },
      { name = "relu", type = "relu", inplace = true },
    ]

    [[layers]]
    name = "stem"                    # a use of the block: its layers become stem.conv, stem.bn, stem.relu
    block = "conv_bn_relu"
    width = 16

    [[layers]]
    name = "pool"
    type = "global_avg_pool2d"

    [[layers]]
    name = "flatten"                 # 16x1x1 -> 16: a linear acts on the last dimension, as in torch
    type = "flatten"

    [[layers]]
    name = "fc"
    type = "linear"
    inputs = ["flatten"]             # optional: by default a layer reads the layer before it
    out_features = 10

Each layer has a name and a type (one of `cnncost formulas`) or a block; its other keys are the type's
attributes. Inside a block, `inputs` name the block's own layers, or "$input" for what the block reads. A layer
that no other layer reads is warned about, unless it is the last, in place, or listed in a top-level
`outputs = ["aux.fc"]` (the network's outputs besides its last layer).
Errors name the file, the layer and the field.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .errors import CnnCostError, GraphError, UnknownNameError, close_matches
from .files import parse_document, read_text
from .graph import INPUT, Graph, Node
from .layers import layer_type
from .shapes import DTYPE_BYTES

RESERVED = ("name", "type", "inputs", "block", "shares")


class SpecError(CnnCostError):
    """A spec file that cannot be read: the message names the file, the layer and the field."""


TOP_LEVEL = ("name", "description", "input", "batch", "dtype", "blocks", "layers", "outputs")


def read_spec(path: str | Path) -> Graph:
    """The Graph a .toml or .json spec file describes."""
    return read_spec_notes(path)[0]


def read_spec_notes(path: str | Path) -> tuple[Graph, tuple[str, ...]]:
    """The Graph a spec file describes, and what its author should look at: layers that nothing reads."""
    path = Path(path)
    data = _parse(path)
    where = path.name
    if not isinstance(data, dict):
        raise SpecError(f"{where}: the file must hold a table (TOML) or an object (JSON)")
    _known_keys(data, TOP_LEVEL, where, "the file")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecError(f"{where}: 'layers' must be a non-empty list of layers")
    shape = data.get("input")
    if not (isinstance(shape, list) and shape and all(isinstance(d, int) and d > 0 for d in shape)):
        raise SpecError(f"{where}: 'input' must be a list of positive sizes, such as [3, 224, 224]; got {shape!r}")
    blocks = data.get("blocks", {})
    if not isinstance(blocks, dict):
        raise SpecError(f"{where}: 'blocks' must be a table of blocks")
    for block_name, block in blocks.items():
        if isinstance(block, dict):
            _known_keys(block, ("layers",), where, f"blocks.{block_name}")
    nodes: list[Node] = []
    for index, entry in enumerate(layers):
        previous = nodes[-1].name if nodes else INPUT
        nodes += _entry_nodes(entry, f"{where}: layers[{index}]", blocks, where, previous)
    batch = data.get("batch")  # a recorded module's: its input holds the batch in front
    if batch is not None and not (type(batch) is int and batch >= 1 and batch == shape[0]):
        raise SpecError(f"{where}: 'batch' must be the input's first size ({shape[0]}), got {batch!r}")
    dtype = data.get("dtype")
    if dtype is not None and dtype not in DTYPE_BYTES:
        raise SpecError(f"{where}: 'dtype' must be one of {', '.join(DTYPE_BYTES)}, got {dtype!r}")
    try:
        graph = Graph.build(
            str(data.get("name", path.stem)), nodes, tuple(shape), str(data.get("description", "")), batch=batch
        )
    except (GraphError, UnknownNameError) as error:
        raise SpecError(f"{where}: {error}") from None
    if dtype is not None:
        graph = dataclasses.replace(graph, dtype=dtype)
    outputs = data.get("outputs", [])
    if not isinstance(outputs, list) or not all(isinstance(name, str) for name in outputs):
        raise SpecError(f"{where}: 'outputs' must be a list of layer names")
    names = [node.name for node in graph.nodes]
    for name in outputs:
        if name not in names:
            raise SpecError(f"{where}: outputs: {name!r} is not a layer{close_matches(name, names)}")
    return graph, spec_notes(graph, set(outputs))


def _known_keys(table: dict, known: tuple[str, ...], where: str, what: str) -> None:
    """Refuse a key the table does not take, with the keys it takes."""
    for key in table:
        if key not in known:
            raise SpecError(
                f"{where}: {what} has no key {key!r}{close_matches(key, known)}; its keys: {', '.join(known)}"
            )


def _parse(path: Path) -> Any:
    try:
        text = read_text(path)
        return parse_document(text, "JSON" if path.suffix.lower() == ".json" else "TOML", path.name)
    except CnnCostError as error:
        raise SpecError(str(error)) from None


def _entry_nodes(entry: Any, where: str, blocks: dict, file: str, previous: str) -> list[Node]:
    if not isinstance(entry, dict):
        raise SpecError(f"{where}: a layer must be a table with a name and a type")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}: missing field 'name'")
    where = f"{where} ({name})"
    if "block" in entry:
        return _block_nodes(entry, name, where, blocks, file, previous)
    return [_node(entry, name, where, prefix="", block_input=None)]


def _node(entry: dict, name: str, where: str, prefix: str, block_input: str | None) -> Node:
    op = entry.get("type")
    if not isinstance(op, str):
        raise SpecError(f"{where}: missing field 'type'")
    try:
        spec = layer_type(op)
    except UnknownNameError as error:
        raise SpecError(f"{where}: field 'type': {error}") from None
    attributes = {key: _tuples(value) for key, value in entry.items() if key not in RESERVED}
    for key in attributes:
        if key not in spec.attributes:  # a misspelt 'inputs' is offered too
            known = ", ".join(spec.attributes) or "none"
            raise SpecError(
                f"{where}: {op} has no attribute {key!r}{close_matches(key, (*spec.attributes, *RESERVED))}"
                f"; its attributes: {known}"
            )
    inputs = entry.get("inputs", [])
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise SpecError(f"{where}: field 'inputs' must be a list of layer names")
    resolved = tuple(_local(source, prefix, block_input) for source in inputs)
    try:
        spec.check(name, len(resolved) or (0 if spec.arity == 0 else 1), attributes)
    except GraphError as error:
        raise SpecError(f"{where}: {str(error).split(': ', 1)[-1]}") from None
    shares = entry.get("shares")
    return Node(
        prefix + name, op, resolved, tuple(attributes.items()), _local(shares, prefix, block_input) if shares else None
    )


def _local(source: str, prefix: str, block_input: str | None) -> str:
    if block_input is not None and source == "$input":
        return block_input
    return source if not prefix or source == INPUT else prefix + source


def _block_nodes(entry: dict, name: str, where: str, blocks: dict, file: str, previous: str) -> list[Node]:
    block_name = entry["block"]
    if block_name not in blocks:
        known = ", ".join(blocks) or "none"
        raise SpecError(f"{where}: field 'block': no block named {block_name!r} (blocks: {known})")
    block = blocks[block_name]
    body = block.get("layers") if isinstance(block, dict) else None
    if not isinstance(body, list) or not body:
        raise SpecError(f"{file}: blocks.{block_name}: 'layers' must be a non-empty list")
    arguments = {key: value for key, value in entry.items() if key not in ("name", "block", "inputs")}
    parameters = _block_parameters(body)
    for key in arguments:
        if key not in parameters:
            offered = close_matches(key, sorted(parameters | {"inputs"}))
            raise SpecError(
                f"{where}: block {block_name!r} has no parameter {key!r}{offered}; its parameters: "
                f"{', '.join(sorted(parameters)) or 'none'}"
            )
    inputs = entry.get("inputs", [])
    block_input = inputs[0] if isinstance(inputs, list) and inputs else inputs if isinstance(inputs, str) else previous
    nodes = []
    for index, item in enumerate(body):
        item_where = f"{file}: blocks.{block_name}.layers[{index}] (in {name})"
        bound = _bind(item, arguments, item_where)
        if not isinstance(bound.get("name"), str):
            raise SpecError(f"{item_where}: missing field 'name'")
        if index == 0 and "inputs" not in bound:
            bound["inputs"] = ["$input"]
        nodes.append(_node(bound, bound["name"], f"{item_where} ({bound['name']})", f"{name}.", block_input))
    return nodes


def _block_parameters(body: list) -> set[str]:
    """The "$name" values a block's layers use: the keys a use of the block may give."""
    return {
        value[1:]
        for item in body
        if isinstance(item, dict)
        for value in item.values()
        if isinstance(value, str) and value.startswith("$") and value != "$input"
    }


def unread_layers(graph: Graph, outputs: AbstractSet[str] = frozenset()) -> list[str]:
    """The layers whose output no other layer reads: not the last layer, not an output the file declares, not an
    in-place layer (its readers read the tensor it changed). Most often a branch left out of an 'inputs' list."""
    readers = graph.consumers()
    return [
        node.name
        for node in graph.nodes[:-1]
        if not readers[node.name] and node.name not in outputs and not node.attributes.get("inplace")
    ]


def spec_notes(graph: Graph, outputs: AbstractSet[str] = frozenset()) -> tuple[str, ...]:
    """What a spec file's graph should be looked at for: its unread layers."""
    unread = unread_layers(graph, outputs)
    if not unread:
        return ()
    shown = ", ".join(unread[:5]) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
    return (
        f"{shown}: read by no layer, so not part of the network's output (a name missing from an 'inputs' "
        "list? a further output is declared in 'outputs'); still counted in the totals",
    )


def _bind(item: Any, arguments: dict, where: str) -> dict:
    """The block layer with "$parameter" values replaced by the block use's arguments."""
    if not isinstance(item, dict):
        raise SpecError(f"{where}: a layer must be a table")
    bound = {}
    for key, value in item.items():
        if isinstance(value, str) and value.startswith("$") and value != "$input":
            parameter = value[1:]
            if parameter not in arguments:
                raise SpecError(f"{where}: field {key!r} needs the block parameter {parameter!r}, which is not given")
            value = arguments[parameter]
        bound[key] = value
    return bound


def _tuples(value: Any) -> Any:
    """Lists from TOML or JSON as tuples, as the built-in graphs hold them."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def graph_document(graph: Graph) -> dict:
    """A Graph as plain data for a spec file: every layer written out, inputs only where not the layer before."""
    layers, previous = [], INPUT
    for node in graph.nodes:
        entry: dict[str, Any] = {"name": node.name, "type": node.op}
        if node.inputs != (previous,):
            entry["inputs"] = list(node.inputs)
        if node.shares:
            entry["shares"] = node.shares
        for key, value in node.attrs:
            if value is not None:
                entry[key] = list(value) if isinstance(value, tuple) else value
        layers.append(entry)
        previous = node.name
    document: dict[str, Any] = {"name": graph.name, "input": list(graph.default_input.dims)}
    if graph.batch is not None:  # a recording: its shapes hold the batch in front
        document["batch"] = graph.batch
    if graph.dtype is not None:
        document["dtype"] = graph.dtype
    if graph.description:
        document["description"] = graph.description
    outputs = unread_layers(graph)
    if outputs:  # the outputs besides the last layer's (an auxiliary head)
        document["outputs"] = outputs
    return {**document, "layers": layers}


def write_spec_text(graph: Graph, fmt: str) -> str:
    """The spec file text of a graph, fmt 'toml' or 'json'."""
    document = graph_document(graph)
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    import tomli_w

    return tomli_w.dumps(document)
