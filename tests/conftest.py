import os
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
