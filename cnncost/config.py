"""A project's budgets in one place: `[tool.cnncost.models.NAME]` tables in pyproject.toml, or `[models.NAME]` in a
cnncost.toml beside it, checked by `cnncost check` (no name: every model) and by `cnncost.check_config()` in a test.

    [tool.cnncost.models.classifier]
    source = "mypkg.models:build_classifier"   # a built-in name, a spec file or a module path, as `cnncost table`
    input = "3x224x224"
    batch = 8
    max-params = "5M"
    max-macs = "600M"
    max-peak-memory = "50MB"
    max-latency = "20ms"                        # times the forward pass with torch

Every key is a command-line option of `cnncost check` without its dashes; a key cnncost does not know, a malformed
value and a model that cannot be loaded are errors naming the file, the table and the key.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .analysis.optimizers import optimizer_names
from .baseline import parse_tolerance
from .budget import PARSERS, BudgetExceeded, check_budget
from .errors import CnnCostError, close_matches
from .extend import formulas_from_config
from .files import parse_document, read_text
from .latency import time_forward
from .profiler import profile
from .shapes import Shape, dtype_bytes
from .sources import import_module_object, is_module_path
from .targets.catalog import LOCAL, catalog

CONFIG_FILES = ("cnncost.toml", "pyproject.toml")
LIMITS = tuple(key.replace("_", "-") for key in PARSERS)  # max-params, ...: check_budget's limits, as TOML keys
SETTINGS = ("source", "input", "batch", "dtype", "optimizer", "device", "target", "strict", "tolerance")


class ConfigError(CnnCostError):
    """A configuration that cannot be used: the message names the file, the table and the key."""


@dataclass(frozen=True)
class ModelConfig:
    """One configured model: where it comes from, how to profile it, and its limits (as the user wrote them)."""

    name: str
    source: str
    folder: Path  # the configuration file's folder: relative paths and module paths are read from there
    where: str  # 'pyproject.toml: [tool.cnncost.models.classifier]', for messages
    input: Any = None
    batch: int = 1
    dtype: str | None = None  # None: a torch module's own, fp32 for any other network
    optimizer: str = "adam"
    device: str = "cpu"
    strict: bool = False
    target: str | None = None  # a device of `cnncost targets`: max-latency is checked against the time predicted on it
    limits: dict[str, Any] = field(default_factory=dict)  # 'max_params': '5M', as check_budget takes them
    tolerances: dict[str, Any] = field(default_factory=dict)  # how much each total may grow over the baseline

    def model(self) -> str:
        """The source as cnncost.profile takes it, a relative file read from the configuration's folder."""
        target, colon, attribute = self.source.rpartition(":")
        path_text = target if colon else self.source
        if path_text.lower().endswith((".py", ".toml", ".json")) and not Path(path_text).is_absolute():
            path_text = str(self.folder / path_text)
        return f"{path_text}:{attribute}" if colon else path_text


def find_config(start: Path | None = None) -> Path | None:
    """The nearest cnncost.toml, or pyproject.toml with a [tool.cnncost] table, from start up: the search stops at
    the first configuration file of either name (a project's pyproject.toml without cnncost's table bounds it, as
    ruff's and pytest's searches stop) and at a repository's root (a folder holding .git). A file found in a folder
    another user may write to (/tmp) is refused: --config names it where it is meant."""
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        for name in CONFIG_FILES:
            path = candidate / name
            if path.is_file():
                if name == "cnncost.toml" or "[tool.cnncost" in path.read_text(errors="replace"):
                    _refuse_if_shared(path)
                    return path
                return None
        if (candidate / ".git").exists():
            return None
    return None


def _refuse_if_shared(path: Path) -> None:
    """A configuration names code to import (its sources, its formulas): one found by searching (or read for its
    formulas from the current folder) must be the user's own (or root's), not writable by every user, in a folder
    where not every user may replace it (a world-writable folder without the sticky bit)."""
    found, folder = path.stat(), path.parent.stat()
    if found.st_uid not in (os.geteuid(), 0):
        reason = "it belongs to another user"
    elif found.st_mode & stat.S_IWOTH:  # a group-writable file is a shared project's, as umask 002 makes them
        reason = "every user may write to it"
    elif folder.st_mode & stat.S_IWOTH and not folder.st_mode & stat.S_ISVTX:
        reason = f"other users may replace it ({path.parent} is writable by all)"
    else:
        return
    raise ConfigError(f"{path}: not read, as {reason}; give --config {path} to use it")


def _tool_table(data: dict, name: str) -> Any:
    """cnncost's table of a configuration file: [tool.cnncost] of a pyproject.toml, all of a cnncost.toml."""
    if name != "pyproject.toml":
        return data
    tool = data.get("tool")
    if tool is not None and not isinstance(tool, dict):
        raise ConfigError(f"{name}: 'tool' must be a table ([tool.cnncost]), got {tool!r}")
    return (tool or {}).get("cnncost")


def formulas_here(folder: Path | None = None) -> None:
    """Register the formulas of the configuration in folder (the current one), if it has [tool.cnncost.formulas]
    (or [formulas] in a cnncost.toml): every command uses them. Only that folder's: a file above it runs nothing."""
    folder = folder or Path.cwd()
    for name in CONFIG_FILES:
        path = folder / name
        if path.is_file() and "formulas" in path.read_text(errors="replace"):
            data = _parse(path)
            table = _tool_table(data, name)
            if isinstance(table, dict) and "formulas" in table:
                _refuse_if_shared(path)  # its formulas are imported: the rule of a configuration found by searching
                where = f"{name}: [{_join('tool.cnncost' if name == 'pyproject.toml' else '', 'formulas')}]"
                try:
                    formulas_from_config(table["formulas"], folder, where)
                except CnnCostError as error:
                    raise ConfigError(str(error)) from None
            return


def read_config(path: str | Path | None = None) -> list[ModelConfig]:
    """Every model a configuration file holds, checked key by key; path None finds the nearest file."""
    found = Path(path) if path is not None else find_config()
    if found is None:
        raise ConfigError(
            "no configuration found: add [tool.cnncost.models.NAME] tables to pyproject.toml, or "
            "[models.NAME] tables to a cnncost.toml"
        )
    data = _parse(found)
    table = _tool_table(data, found.name)
    prefix = "tool.cnncost" if found.name == "pyproject.toml" else ""
    if not isinstance(table, dict) or not isinstance(table.get("models"), dict) or not table["models"]:
        raise ConfigError(
            f"{found.name}: no models: add a table [{_join(prefix, 'models.NAME')}] with a source and limits"
        )
    for key in table:
        if key not in ("models", "formulas"):
            raise ConfigError(
                f"{found.name}: [{prefix or 'the file'}] has no key {key!r}"
                f"{close_matches(key, ['models', 'formulas'])}; its keys: models, formulas"
            )
    if "formulas" in table:
        where = f"{found.name}: [{_join(prefix, 'formulas')}]"
        try:
            formulas_from_config(table["formulas"], found.parent, where)
        except CnnCostError as error:
            raise ConfigError(str(error)) from None
    return [_model(found, _join(prefix, f"models.{name}"), name, entry) for name, entry in table["models"].items()]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _parse(path: Path) -> dict:
    try:
        data = parse_document(read_text(path), "TOML", path.name)
    except CnnCostError as error:
        raise ConfigError(str(error)) from None
    assert isinstance(data, dict)  # a TOML document is a table
    return data


def _model(path: Path, table: str, name: str, entry: Any) -> ModelConfig:
    """One [models.NAME] table, every key and value checked."""
    where = f"{path.name}: [{table}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: a model is a table of keys (source, input, limits)")
    for key in entry:
        if key not in LIMITS + SETTINGS:
            raise ConfigError(
                f"{where}: unknown key {key!r}{close_matches(key, LIMITS + SETTINGS)}; the keys: "
                f"{', '.join(SETTINGS + LIMITS)}"
            )
    source = entry.get("source")
    if not isinstance(source, str) or not source:
        raise ConfigError(
            f"{where}: source: give the model as `cnncost table` takes it: a built-in name, a spec "
            "file or a module path (pkg.mod:Net)"
        )
    limits = {}
    for key in LIMITS:
        if key in entry:
            try:
                PARSERS[key.replace("-", "_")](entry[key])
            except CnnCostError as error:
                raise ConfigError(f"{where}: {key}: {error}") from None
            limits[key.replace("-", "_")] = entry[key]
    tolerances = entry.get("tolerance", {})
    if not isinstance(tolerances, dict):
        raise ConfigError(f'{where}: tolerance: a table such as {{ macs = "1%", params = 1000 }}')

    for quantity, value in tolerances.items():
        try:
            parse_tolerance(quantity, value)
        except CnnCostError as error:
            raise ConfigError(f"{where}: {error}") from None
    if not limits and not tolerances:
        raise ConfigError(f"{where}: no limit: give at least one of {', '.join(LIMITS)}, or a baseline tolerance")
    batch = entry.get("batch", 1)
    if type(batch) is not int or batch < 1:
        raise ConfigError(f"{where}: batch: a whole number of at least 1, got {batch!r}")
    for key, kind in (("dtype", str), ("optimizer", str), ("device", str), ("target", str), ("strict", bool)):
        if key in entry and not isinstance(entry[key], kind):
            raise ConfigError(f"{where}: {key}: a {kind.__name__}, got {entry[key]!r}")
    _check_settings(entry, where)
    return ModelConfig(
        name,
        source,
        path.parent,
        where,
        entry.get("input"),
        batch,
        entry.get("dtype"),
        entry.get("optimizer", "adam"),
        entry.get("device", "cpu"),
        entry.get("strict", False),
        entry.get("target"),
        limits,
        tolerances,
    )


def _check_settings(entry: dict, where: str) -> None:
    """input, dtype, optimizer and device: values cnncost takes, checked before any model is loaded."""
    size = entry.get("input")
    sizes = size if isinstance(size, list) and size and all(isinstance(s, (str, list)) for s in size) else [size]
    for one in sizes if size is not None else ():
        if not isinstance(one, (str, list)) or (isinstance(one, list) and not all(type(d) is int for d in one)):
            raise ConfigError(
                f'{where}: input: a size such as "3x224x224" or [3, 224, 224] (a list of them for '
                f"several inputs), got {size!r}"
            )
        try:
            Shape.of(tuple(one) if isinstance(one, list) else one)
        except CnnCostError as error:
            raise ConfigError(f"{where}: input: {error}") from None
    try:
        if "dtype" in entry:
            dtype_bytes(entry["dtype"])
    except CnnCostError as error:
        raise ConfigError(f"{where}: dtype: {error}") from None
    optimizers = optimizer_names()
    if entry.get("optimizer", "adam") not in optimizers:
        raise ConfigError(f"{where}: optimizer: {entry['optimizer']!r} is not one of {', '.join(optimizers)}")
    device = entry.get("device", "cpu")
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"{where}: device: {device!r} is not cpu or cuda")
    target = entry.get("target")
    if target is not None and "max-latency" not in entry:
        raise ConfigError(f"{where}: target: predicts the time max-latency holds: give max-latency too")
    if target is not None and device != "cpu":
        raise ConfigError(f"{where}: device {device!r} times the model here, target {target!r} predicts it: give one")
    if isinstance(target, str) and target.strip().lower() not in (LOCAL, *catalog()):
        known = [LOCAL, *catalog()]
        raise ConfigError(
            f"{where}: target: {target!r} is not a device of `cnncost targets`{close_matches(target.lower(), known)}"
        )


@dataclass(frozen=True)
class ModelResult:
    """A configured model checked: its profile and its checks."""

    config: ModelConfig
    profile: Any
    checks: tuple

    @property
    def broken(self) -> tuple:
        return tuple(check for check in self.checks if not check.ok)

    def message(self) -> str:
        """'classifier (mypkg.models:Net) is over budget: params 6,000,000 > limit 5,000,000 (5M)'."""
        return f"{self.config.name} ({self.config.source}) is over budget: " + "; ".join(
            check.describe() for check in self.broken
        )


def profile_model(config: ModelConfig, timed: bool = False):
    """The model's profile, or its timed forward pass (with .profile) where timed; a module path is imported from the
    configuration's folder, and an error names the file and the table."""
    model = config.model()
    try:
        if is_module_path(model) and not model.rpartition(":")[0].lower().endswith(".py"):
            model = import_module_object(model, config.folder)
        if timed and config.target is None:
            result = time_forward(
                model,
                input=config.input,
                batch=config.batch,
                dtype=config.dtype,
                device=config.device,
                training_forward="max_training_memory" in config.limits,
            )
            if config.strict and result.profile.uncounted:
                raise CnnCostError(f"{len(result.profile.uncounted)} layer(s) have no cost formula (strict)")
            return result
        return profile(
            model,
            input=config.input,
            batch=config.batch,
            dtype=config.dtype,
            strict=config.strict,
            target=config.target,
            training_forward="max_training_memory" in config.limits,
        )
    except CnnCostError as error:
        raise error.prefixed(f"{config.where}: ") from None


def check_model(config: ModelConfig, baseline: bool = False) -> ModelResult:
    """Profile one configured model (timing it where it has a latency limit) and check its limits; a model with no
    limit is an error unless a baseline holds it (a check that checks nothing must not pass)."""
    if not config.limits and not baseline:
        raise ConfigError(
            f"{config.where}: nothing to check: give it a limit (max-params, max-macs, ...)"
            + " or check it against a baseline (--baseline)"
        )
    subject = profile_model(config, timed="max_latency" in config.limits)
    result = getattr(subject, "profile", subject)
    try:
        checks = check_budget(subject, **config.limits, optimizer=config.optimizer) if config.limits else []
    except CnnCostError as error:
        raise error.prefixed(f"{config.where}: ") from None
    return ModelResult(config, result, tuple(checks))


def check_config(path: str | Path | None = None, names: list[str] | None = None) -> list[ModelResult]:
    """Check every configured model (or those named); raise BudgetExceeded naming each model over budget, with the
    message `cnncost check` prints. For a project's tests:

        def test_models_within_budget():
            cnncost.check_config()
    """
    results = [check_model(config) for config in select(read_config(path), names)]
    broken = [result for result in results if result.broken]
    if broken:
        raise BudgetExceeded("\n".join(result.message() for result in broken))
    return results


def select(configs: list[ModelConfig], names: list[str] | None) -> list[ModelConfig]:
    """The configured models of those names (all without names); an unknown name is an error listing the known."""
    if not names:
        return configs
    known = {config.name: config for config in configs}
    for name in names:
        if name not in known:
            where = configs[0].where.split(":")[0]
            raise ConfigError(f"{where}: no model {name!r}{close_matches(name, known)}; configured: {', '.join(known)}")
    return [known[name] for name in names]
