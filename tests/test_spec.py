"""Spec files: the documented example by hand, every built-in written out and read back, errors that point."""

import textwrap

import pytest

import cnncost
from cnncost.cli import main
from cnncost.spec import SpecError, read_spec, read_spec_notes, write_spec_text
from cnncost.zoo import create, list_blocks, list_models


def without_none(attrs):
    return tuple((k, v) for k, v in attrs if v is not None)


@pytest.mark.parametrize("name", list_models() + list_blocks())
@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_round_trip_gives_the_same_profile(tmp_path, name, fmt):
    graph = create(name)
    path = tmp_path / f"{name}.{fmt}"
    path.write_text(write_spec_text(graph, fmt))
    back, notes = read_spec_notes(path)
    assert notes == ()  # in-place layers are read through the tensor they change; auxiliary heads are 'outputs'
    original, read = cnncost.propagate(graph), cnncost.propagate(back)
    assert back.name == graph.name and back.default_input == graph.default_input
    assert len(read.layers) == len(original.layers)
    for a, b in zip(original.layers, read.layers, strict=True):
        assert (a.name, a.op, a.inputs, a.output_shape, a.params, a.buffers, a.macs, a.flops, a.activation_bytes) == (
            b.name,
            b.op,
            b.inputs,
            b.output_shape,
            b.params,
            b.buffers,
            b.macs,
            b.flops,
            b.activation_bytes,
        )
        assert without_none(a.attrs) == without_none(b.attrs)
    assert read.total == original.total


def test_the_documented_example(tmp_path):
    import cnncost.spec as spec_module

    doc = spec_module.__doc__
    example = doc[doc.index('    name = "tiny"') : doc.index("Each layer has")]
    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(example))
    p = cnncost.profile(str(path))
    assert [c.name for c in p.layers] == ["stem.conv", "stem.bn", "stem.relu", "pool", "flatten", "fc"]
    assert p.layer("stem.conv").params == 16 * 3 * 9  # no bias
    assert p.layer("stem.conv").macs == 16 * 32 * 32 * 27
    assert p.layer("fc").params == 16 * 10 + 10
    assert p.input_shape.dims == (3, 32, 32)


def write(tmp_path, text, name="net.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


HEADER = 'name = "net"\ninput = [3, 8, 8]\n'


@pytest.mark.parametrize(
    "body, message",
    [
        ('[[layers]]\ntype = "relu"\n', "net.toml: layers[0]: missing field 'name'"),
        ('[[layers]]\nname = "a"\n', "net.toml: layers[0] (a): missing field 'type'"),
        ('[[layers]]\nname = "a"\ntype = "convolution"\n', "net.toml: layers[0] (a): field 'type': unknown layer type"),
        (
            '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\nkernal_size = 3\n',
            "net.toml: layers[0] (a): conv2d has no attribute 'kernal_size' (did you mean: kernel_size?)",
        ),
        (
            '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\n',
            "net.toml: layers[0] (a): conv2d needs kernel_size",
        ),
        (
            '[[layers]]\nname = "a"\ntype = "relu"\ninputs = ["ghost"]\n',
            "net.toml: a: input 'ghost' is not a layer of net",
        ),
        (
            '[[layers]]\nname = "a"\ntype = "relu"\ninputs = ["b"]\n[[layers]]\nname = "b"\ntype = "relu"\ninputs = ["a"]\n',
            "net.toml: a: input 'b' comes after it",
        ),
        (
            '[[layers]]\nname = "a"\nblock = "missing"\n',
            "net.toml: layers[0] (a): field 'block': no block named 'missing'",
        ),
        (
            '[blocks.b]\nlayers = [{name = "c", type = "conv2d", out_channels = "$width", kernel_size = 1}]\n'
            '[[layers]]\nname = "a"\nblock = "b"\n',
            "net.toml: blocks.b.layers[0] (in a): field 'out_channels' needs the block parameter 'width'",
        ),
    ],
)
def test_errors_point_at_file_layer_and_field(tmp_path, body, message):
    with pytest.raises(SpecError) as raised:
        read_spec(write(tmp_path, HEADER + body))
    assert message in str(raised.value)


def test_file_level_errors(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        read_spec(write(tmp_path, "name = \n"))
    with pytest.raises(SpecError, match="'input' must be a list of positive sizes"):
        read_spec(write(tmp_path, 'input = [3, 0, 8]\n[[layers]]\nname = "a"\ntype = "relu"\n'))
    with pytest.raises(SpecError, match="'layers' must be a non-empty list"):
        read_spec(write(tmp_path, "input = [3, 8, 8]\n"))
    with pytest.raises(SpecError, match="not valid JSON"):
        read_spec(write(tmp_path, "{", name="net.json"))
    with pytest.raises(SpecError, match="cannot read 'nowhere.toml'"):
        read_spec("nowhere.toml")


def test_cli_table_on_a_spec_file_and_spec_export(tmp_path, capsys):
    path = tmp_path / "resnet18.toml"
    assert main(["spec", "resnet18", "-o", str(path)]) == 0
    assert main(["table", str(path), "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["total"]["params"] == 11_689_512
    broken = write(tmp_path, HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\n', "broken.toml")
    assert main(["table", str(broken)]) == 2
    err = capsys.readouterr().err
    assert err == "cnncost: error: broken.toml: layers[0] (a): conv2d needs kernel_size, out_channels\n"


def test_errors_found_while_costing_name_the_file_too(tmp_path):
    path = write(tmp_path, HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = "16"\nkernel_size = 3\n')
    with pytest.raises(cnncost.CnnCostError, match="^net.toml: a: "):
        cnncost.profile(str(path))
    small = write(tmp_path, HEADER + '[[layers]]\nname = "big"\ntype = "conv2d"\nout_channels = 4\nkernel_size = 9\n')
    with pytest.raises(cnncost.CnnCostError, match="^net.toml: big: output would be 0x0 from 3x8x8$"):
        cnncost.profile(str(small))


def test_the_new_layer_types_round_trip(tmp_path):
    """Transposed convs, norms, interpolation, attention, recurrent layers, parameters, indexing: written out and read
    back, in TOML and JSON, to the same profile."""
    from cnncost import Graph, layer

    graph = Graph.build(
        "zoo",
        [
            layer("conv_transpose2d", "up", out_channels=4, kernel_size=4, stride=2, padding=1),
            layer("group_norm", "gn", num_groups=2),
            layer("interpolate", "resize", scale_factor=2, mode="bilinear"),
            layer("flatten", "tokens", start_dim=1),  # 4 x 1024: 4 tokens of 1024 features
            layer("parameter", "scale", shape=(1, 1024)),
            layer("multiply", "scaled", "tokens", "scale"),
            layer("layer_norm", "ln", normalized_shape=1024),
            layer("linear", "proj", out_features=16),
            layer("multihead_attention", "attn", "proj", "proj", "proj", embed_dim=16, num_heads=2),
            layer("item", "attn.out", "attn", index=0),
            layer("lstm", "lstm", input_size=16, hidden_size=8),
            layer("item", "h", "lstm", index=1),
            layer("getitem", "last", "h", index=(0, "new", "...")),
            layer("einsum", "mix", "last", "last", equation="ij,ik->jk"),
        ],
        input=(8, 8, 8),
    )
    expected = cnncost.propagate(graph)
    for suffix in (".toml", ".json"):
        path = tmp_path / f"zoo{suffix}"
        path.write_text(write_spec_text(graph, suffix[1:]))
        assert cnncost.profile(str(path)).layers == expected.layers


@pytest.mark.torch
@pytest.mark.parametrize("source", ["user_nets.py:Residual", "user_nets.py:Shared", "modern.py:VisionTransformer"])
def test_a_torch_modules_recording_written_as_a_spec_reads_back_the_same(tmp_path, capsys, source):
    """The spec of a recorded module holds its input with the batch in front (2x3x32x32 here): read back, its
    parameters, MACs, FLOPs and activation bytes are the module's own profile's."""
    pytest.importorskip("torch")
    path = f"tests/fixtures/{source}"
    spec = tmp_path / "net.toml"
    assert main(["spec", path, "--input", "3x32x32", "--batch", "2", "-o", str(spec)]) == 0
    recorded, read = cnncost.profile(path, input=(3, 32, 32), batch=2), cnncost.profile(str(spec))
    assert read.input_shape.dims == (2, 3, 32, 32) and read.batch == 2 and read.shapes_include_batch
    for key in ("params", "macs", "flops", "activation_bytes"):
        assert getattr(read.total, key) == getattr(recorded.total, key), key
    assert read.dtype == recorded.dtype == "fp32"
    assert [cost.output_shape for cost in read.layers] == [cost.output_shape for cost in recorded.layers]


@pytest.mark.torch
def test_a_half_modules_spec_keeps_its_dtype_and_a_built_ins_refuses_a_batch(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)).half()
    spec = tmp_path / "half.toml"
    from cnncost.sources import load_source

    spec.write_text(write_spec_text(load_source(module, (3, 8, 8)).graph, "toml"))
    # 4 x 6 x 6 outputs at 2 bytes: 288 bytes, as the module's own profile
    assert (
        cnncost.profile(str(spec)).total.activation_bytes
        == cnncost.profile(module, input=(3, 8, 8)).total.activation_bytes
        == 288
    )
    assert main(["spec", "alexnet", "--batch", "4"]) == 2 and "for a torch module" in capsys.readouterr().err
