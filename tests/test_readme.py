"""The README's generated parts stay equal to what the code computes."""

from pathlib import Path

import pytest

import cnncost
from cnncost.zoo import architecture

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def architecture_table() -> str:
    lines = ["| name | family | input | params | MACs (conv + linear) | reference |", "|:--|:--|:--|--:|--:|:--|"]
    for name in cnncost.list_models():
        p = cnncost.profile(name)
        lines.append(
            f"| `{name}` | {architecture(name).family} | {p.input_shape} | {p.total.params:,} | "
            f"{p.total.macs:,} | {architecture(name).reference} |"
        )
    return "\n".join(lines)


def test_architecture_table_is_current():
    start = README.index("<!-- architectures")
    block = README[README.index("\n", start) + 1 : README.index("<!-- /architectures -->")].strip()
    assert block == architecture_table()


def test_alexnet_table_is_current():
    from cnncost.report.profile_table import profile_document
    from cnncost.report.render import render

    table = render(profile_document(cnncost.profile("alexnet")), "table").split("\n1 MAC")[0]
    assert table in README


def test_the_custom_graph_example():
    from cnncost import Graph, layer

    net = Graph.build(
        "tiny",
        [
            layer("conv2d", "conv", out_channels=16, kernel_size=3, padding=1),
            layer("relu", "relu", inplace=True),
            layer("conv2d", "branch", "input", out_channels=16, kernel_size=1),
            layer("add", "sum", "relu", "branch"),
            layer("global_avg_pool2d", "pool"),
            layer("flatten", "flat"),
            layer("linear", "fc", out_features=10),
        ],
        input=(3, 32, 32),
    )
    assert cnncost.profile(net).total.macs == 16 * 32 * 32 * 27 + 16 * 32 * 32 * 3 + 16 * 10 == 491_680


def test_the_spec_file_example(tmp_path):
    start = README.index("```toml\n", README.index("**Spec files**")) + len("```toml\n")
    path = tmp_path / "tiny.toml"
    path.write_text(README[start : README.index("```", start)])
    p = cnncost.profile(str(path))
    assert [c.name for c in p.layers] == ["stem.conv", "stem.bn", "stem.relu", "pool", "flatten", "fc"]
    assert p.total.params == 16 * 27 + 2 * 16 + 16 * 10 + 10  # conv without bias, BN, FC: 634


def test_every_layer_type_is_listed():
    from cnncost.layers import layer_types

    start = README.index("**Which layer types have a formula**")
    listing = README[start : README.index("**Which models**")]
    missing = [name for name in layer_types() if f"`{name}`" not in listing]
    assert not missing, f"README does not list: {missing}"


def test_the_formula_example_registers_grid_sample():
    pytest.importorskip("torch")
    from cnncost.registries import scratch

    start = README.index("```python\n", README.index("**Your own formulas.**")) + len("```python\n")
    with scratch():
        exec(README[start : README.index("```", start)], {})
        from cnncost.layers import layer_type

        spec = layer_type("grid_sample")
        x, grid = cnncost.Shape((2, 8, 16, 16)), cnncost.Shape((2, 16, 16, 2))
        assert spec.formula(x, grid).flops == 8 * 2 * 8 * 16 * 16
        assert spec.torch_functions == ("grid_sample",)


def transcripts() -> list[tuple[str, str]]:
    """Every '$ cnncost ...' block of the README: (the command's arguments, the output printed under it)."""
    found = []
    for block in README.split("```\n$ cnncost ")[1:]:
        command, _, rest = block.partition("\n")
        found.append((command, rest.split("```")[0]))
    return found


@pytest.mark.parametrize("command, printed", transcripts(), ids=[command for command, _ in transcripts()])
def test_every_transcript_prints_what_the_readme_shows(command, printed, capsys):
    from cnncost.cli import main

    assert main(command.split()) == 0
    assert capsys.readouterr().out == printed
