import importlib.util
import inspect
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

GOLDEN = Path(__file__).parent / "golden"

# Property tests (tests/test_properties.py): "ci", short and repeatable, unless CNNCOST_HYPOTHESIS_PROFILE=dev asks for
# a long random search. No deadline: the machines these run on are shared and their timings vary.
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("CNNCOST_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def golden():
    """Compare text with tests/golden/NAME; CNNCOST_REGEN=1 rewrites the file instead."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if os.environ.get("CNNCOST_REGEN"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path}; run with CNNCOST_REGEN=1 to create it"
        assert text == path.read_text(encoding="utf-8")

    return check


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """The roofline cache in a folder of the test session's own: the tests never read or write the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture
def small_roof(tmp_path, monkeypatch):
    """A roof measured on small products and copies, in a cache of the test's own: for tests of how a roof is measured,
    cached and used rather than of this machine's speed (a full roof takes 1.3 s here, a bf16 one much longer)."""
    torch = pytest.importorskip("torch", reason="the roof is measured with torch")
    from cnncost.torch import roofline

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(roofline, "MATMUL_SIZES", (256, 512))
    monkeypatch.setattr(roofline, "COPY_BYTES", 16 * 2**20)
    return torch


@pytest.fixture
def short_latency(monkeypatch):
    """A whole forward pass timed for 0.02 s rather than 0.5 s: for tests of how a latency budget is checked."""
    pytest.importorskip("torch", reason="a latency is timed with torch")
    from cnncost.torch import forward

    monkeypatch.setattr(forward, "MIN_RUN_TIME", 0.02)


TORCH_FIXTURES = {"small_roof", "short_latency"}


def pytest_collection_modifyitems(config, items):
    """Mark `torch` the tests that use torch: their module imports it, they ask for it (pytest.importorskip), or they
    take a fixture that needs it; `-m "not torch"` selects the others."""
    for item in items:
        module = getattr(item, "module", None)
        function = getattr(item, "function", None)
        imports_torch = module is not None and getattr(module, "torch", None) is sys.modules.get("torch") is not None
        asks = function is not None and 'importorskip("torch"' in inspect.getsource(function)
        if imports_torch or asks or TORCH_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.torch)


PEER_TOOLS = ("torchinfo", "fvcore", "ptflops", "thop")  # what the `peers` extra installs for the `peers` tests


def pytest_runtest_setup(item):
    """A `peers` test is skipped, saying so, where the other tools are not installed (pip install -e '.[test]' runs
    without them; CI installs them with '.[test,peers]')."""
    if item.get_closest_marker("peers") is not None:
        missing = [name for name in PEER_TOOLS if importlib.util.find_spec(name) is None]
        if missing:
            pytest.skip(f"the peers extra installs {', '.join(missing)}: pip install -e '.[peers]'")
