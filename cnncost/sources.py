"""Where a network comes from: a built-in name, a spec file, an importable torch module, or a Graph.

    alexnet                         a built-in architecture
    my_net.toml, my_net.json        a spec file (cnncost.spec)
    mypkg.models:build_net          an nn.Module class, factory or instance, imported from a package
    path/to/net.py:Net              the same from a file

Only the torch-module path imports torch, and only when it is taken.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import (
    STOPS,
    CnnCostError,
    CnnCostWarning,
    Fix,
    UnknownNameError,
    close_matches,
    first_line,
    size_fix,
    worded,
)
from .graph import Graph
from .spec import read_spec_notes
from .trace import require_torch
from .zoo import create
from .zoo.torchvision_names import torchvision_path

SPEC_SUFFIXES = (".toml", ".json")


@dataclass(frozen=True)
class Loaded:
    """A loaded network: its graph and, for a torch module, what tracing found (torch's shapes and counts)."""

    graph: Graph
    trace: Any = None  # cnncost.trace.module_graph.TraceResult for a torch module
    notes: tuple[str, ...] = ()  # what the user should look at: a spec file's layers that nothing reads
    training_trace: Any = None  # a torch module's forward recorded in training mode too, where that was asked for
    training_failure: str = ""  # why that recording failed (a model that wants targets in training mode)


def is_module_path(text: str) -> bool:
    """'pkg.mod:attr' or 'file.py:attr'."""
    target, colon, attr = text.rpartition(":")
    return bool(colon and target and attr)


def load_source(model: Any, input: Any = None, batch: int = 1) -> Loaded:
    """The graph of a name, spec file, module path, nn.Module (or its class or factory) or Graph (a module is recorded
    at input and batch)."""
    if isinstance(model, Graph):
        return Loaded(model)
    if isinstance(model, str) and is_module_path(model) and input is None:  # said before the import, which is slow
        _traced(None, model, input, batch)
    if isinstance(model, str):
        if model.lower().endswith(SPEC_SUFFIXES):
            graph, notes = read_spec_notes(model)
            notes = tuple(f"{Path(model).name}: {note}" for note in notes)
            for note in notes:
                warnings.warn(note, CnnCostWarning, stacklevel=3)
            return Loaded(graph, notes=notes)
        if is_module_path(model):
            with current_folder_importable():  # through the recording: a forward may import as it runs
                return _traced(import_module_object(model), model, input, batch)
        return Loaded(_built_in(model))
    if _is_torch_module(model):
        return _traced(model, type(model).__name__, input, batch)
    if callable(model) and _is_torch_loaded():
        name = getattr(model, "__qualname__", type(model).__name__)
        return _traced(module_from(model, name), name, input, batch)
    raise CnnCostError(
        f"cannot profile a {type(model).__name__}: give an architecture name, a spec file, "
        "a module path (pkg.mod:Net), an nn.Module (or its class or a function that makes one) "
        "or a Graph"
    )


def _is_torch_loaded() -> bool:
    return "torch" in sys.modules


def _is_torch_module(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.nn.Module)


def _built_in(name: str) -> Graph:
    """A built-in architecture; for a name that is not one, what the user probably meant."""
    try:
        return create(name)
    except UnknownNameError:
        path = Path(name)
        if path.suffix.lower() == ".py" and not path.is_file():
            raise CnnCostError(f"no such file: {name}") from None
        if path.suffix.lower() == ".py":
            raise CnnCostError(
                f"{name}: a Python file needs the name of the module, class or function in it, "
                f"such as {name}:{_module_names(path) or 'Net'}"
            ) from None
        if path.suffix.lower() in (".yaml", ".yml"):
            raise CnnCostError(
                f"{name}: spec files are .toml or .json (cnncost reads no YAML): write it as "
                f"{path.with_suffix('.toml').name} (`cnncost spec` shows the format)"
            ) from None
        colon = _colon_path(name)
        if colon:
            raise worded(
                CnnCostError,
                f"{name} is not a built-in architecture; a module path names the object "
                "after a colon: did you mean {}?",
                Fix(repr(colon), colon),
            ) from None
        if path.suffix or path.is_file():
            raise CnnCostError(
                f"{name} is not a built-in architecture; a spec file is .toml or .json, a Python "
                f"file is given with the object in it, as net.py:Net"
            ) from None
        torchvision = torchvision_path(name)
        if torchvision:
            module_path, size, downloads = torchvision
            weights = (
                "; called with no arguments it downloads its backbone's weights, so give a function of your "
                "own that builds it with weights_backbone=None"
                if downloads
                else ""
            )
            raise worded(
                UnknownNameError,
                f"{name} is not built in; torchvision's is {{}} (with torchvision "
                f"installed){weights}; 'cnncost list' shows the built-in ones",
                Fix(f"profile({module_path!r}, input={size})", f"{module_path} --input {'x'.join(map(str, size))}"),
            ) from None
        raise


def _colon_path(name: str) -> str | None:
    """'pkg.mod:Net' for 'pkg.mod.Net' where pkg.mod can be imported (or is torchvision's), else None."""
    target, dot, attribute = name.rpartition(".")
    if not dot or not all(part.isidentifier() for part in name.split(".")):
        return None
    known = torchvision_path(attribute) if target.startswith("torchvision.models") else None
    if known:
        return known[0]
    local = Path(*target.split("."))  # importable from this folder, as a module path is imported
    if local.with_suffix(".py").is_file() or (local / "__init__.py").is_file():
        return f"{target}:{attribute}"
    return f"{target}:{attribute}" if _findable(target) else None


def _findable(target: str) -> bool:
    """Whether a dotted module could be imported, found without running any of its packages' code (find_spec of
    pkg.sub imports pkg): the top package's spec, then the files below it."""
    top, *rest = target.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec is None or not rest:
        return spec is not None
    for location in spec.submodule_search_locations or ():
        below = Path(location, *rest)
        if below.with_suffix(".py").is_file() or (below / "__init__.py").is_file():
            return True
    return False


def _module_names(path: Path) -> str:
    """The classes and functions a Python file defines, 'Net' or 'Net (or build, Head)', read without running it."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ""
    names = [
        node.name
        for node in tree.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_")
    ]
    return names[0] + (f" (or {', '.join(names[1:4])})" if len(names) > 1 else "") if names else ""


def _traced(module: Any, name: str, input: Any, batch: int) -> Loaded:
    if input is None:
        raise worded(CnnCostError, f"{name}: a torch module needs an input size, such as {{}}", size_fix((3, 224, 224)))
    from .trace.module_graph import graph_from_module

    result = graph_from_module(module, input, name, batch, REAL_FORWARD.get())
    training, failure = None, ""
    if TRAINING_FORWARD.get():  # the training figures' forward, where the caller asks for them
        try:
            training = graph_from_module(module, input, name, batch, REAL_FORWARD.get(), training=True)
        except CnnCostError as error:  # a model that wants targets in training mode: the eval forward's figures
            failure = str(error)
    return Loaded(result.graph, result, training_trace=training, training_failure=failure)


REAL_FORWARD: ContextVar[bool] = ContextVar("real_forward_allowed", default=False)
# a torch module's forward is recorded in training mode too, for the training figures (profile(training_forward=True))
TRAINING_FORWARD: ContextVar[bool] = ContextVar("training_forward", default=False)


@contextmanager
def real_forward_allowed(allowed: bool = True) -> Iterator[None]:
    """Within it, a module the meta device cannot record (its code reads tensor values) is recorded by a real
    forward on the CPU however much memory that holds; without it, one that would hold over 1 GB is refused."""
    token = REAL_FORWARD.set(allowed or REAL_FORWARD.get())
    try:
        yield
    finally:
        REAL_FORWARD.reset(token)


@contextmanager
def training_forward_recorded(wanted: bool = True) -> Iterator[None]:
    """Within it, a torch module is recorded a second time in training mode, for the training figures."""
    token = TRAINING_FORWARD.set(wanted)  # a profile made inside another (a factory's) asks for itself
    try:
        yield
    finally:
        TRAINING_FORWARD.reset(token)


def import_module_object(text: str, folder: Path | None = None):
    """The nn.Module that 'pkg.mod:attr' or 'path/file.py:attr' names: an instance, or a class or factory called
    with no arguments. With a folder, pkg.mod is imported from there (a configuration's folder), as found now."""
    require_torch()
    target, _, attribute = text.rpartition(":")
    with current_folder_importable():  # its constructor may import its siblings too
        module = _import(target, folder)
        value: Any = module
        for part in attribute.split("."):
            if not hasattr(value, part):
                public = [name for name in dir(value) if not name.startswith("_")]
                raise CnnCostError(f"{target} has no attribute {attribute!r}{close_matches(part, public)}")
            value = getattr(value, part)
        return module_from(value, text)


@contextmanager
def current_folder_importable() -> Iterator[None]:
    """The current folder on sys.path, as `python -m` has it, while a module path is imported, built and recorded;
    sys.path as it was afterwards."""
    if "" in sys.path or "." in sys.path:
        yield
        return
    sys.path.insert(0, "")
    try:
        yield
    finally:
        if "" in sys.path:
            sys.path.remove("")


def module_from(value: Any, text: str):
    """An nn.Module itself, or the one a class or function makes when called with no arguments."""
    torch = require_torch()
    if isinstance(value, torch.nn.Module):
        return value
    if not callable(value):
        raise CnnCostError(f"{text} is neither an nn.Module nor a class or function that makes one")
    try:
        built = value()
    except Exception as error:  # noqa: BLE001  user code: any failure is reported in one line
        raise CnnCostError(
            f"{text}() failed: {type(error).__name__}: {first_line(error)} (a class or function "
            "is called with no arguments: give an instance for any other)"
        ) from None
    if not isinstance(built, torch.nn.Module):
        raise CnnCostError(f"{text}() returned a {type(built).__name__}, not an nn.Module")
    return built


def _import_from(target: str, folder: Path):
    """pkg.mod imported from folder first. A module of that name imported earlier from elsewhere (a second project
    checked in the same process has a models.py of its own) is set aside while this one is imported, then put back,
    so that the code that imported it keeps seeing it."""
    root = str(folder.resolve())
    parts = target.split(".")
    aside = {}
    for name in (".".join(parts[:depth]) for depth in range(1, len(parts) + 1)):
        where = getattr(sys.modules.get(name), "__file__", None) or ""
        if where and not str(Path(where).resolve()).startswith(root + "/"):
            aside[name] = sys.modules.pop(name)
    sys.path.insert(0, root)
    try:
        return importlib.import_module(target)
    finally:
        sys.path.remove(root)
        sys.modules.update(aside)


def _import(target: str, folder: Path | None = None):
    try:
        if target.endswith(".py") or "/" in target or "\\" in target:
            path = Path(target)
            if not path.is_file():
                raise CnnCostError(f"no such file: {target}")
            spec = importlib.util.spec_from_file_location(f"cnncost_user_{path.stem}", path)
            if spec is None or spec.loader is None:  # a file Python cannot import: no .py suffix
                raise CnnCostError(f"cannot import {target}: not a Python file (a module path names a .py file)")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            return module
        if folder is not None:
            return _import_from(target, folder)
        return importlib.import_module(target)
    except CnnCostError:
        raise
    except BaseException as error:  # noqa: BLE001  user code: an import can raise anything (a stop passes)
        if isinstance(error, STOPS):
            raise
        raise CnnCostError(f"cannot import {target}: {type(error).__name__}: {first_line(error)}") from None
