"""The AlexNet table of EECS 498-007 lecture 8, row by row: exact values, and the printed cells they round to."""

import pytest

import cnncost

# layer: (output shape, output bytes at fp32, params, MACs), each worked by hand
EXACT = {
    "conv1": ((64, 56, 56), 64 * 56 * 56 * 4, 64 * 3 * 11 * 11 + 64, 64 * 56 * 56 * 3 * 11 * 11),
    "pool1": ((64, 27, 27), 64 * 27 * 27 * 4, 0, 0),
    "conv2": ((192, 27, 27), 192 * 27 * 27 * 4, 192 * 64 * 5 * 5 + 192, 192 * 27 * 27 * 64 * 5 * 5),
    "pool2": ((192, 13, 13), 192 * 13 * 13 * 4, 0, 0),
    "conv3": ((384, 13, 13), 384 * 13 * 13 * 4, 384 * 192 * 3 * 3 + 384, 384 * 13 * 13 * 192 * 3 * 3),
    "conv4": ((256, 13, 13), 256 * 13 * 13 * 4, 256 * 384 * 3 * 3 + 256, 256 * 13 * 13 * 384 * 3 * 3),
    "conv5": ((256, 13, 13), 256 * 13 * 13 * 4, 256 * 256 * 3 * 3 + 256, 256 * 13 * 13 * 256 * 3 * 3),
    "pool5": ((256, 6, 6), 256 * 6 * 6 * 4, 0, 0),
    "flatten": ((9216,), 9216 * 4, 0, 0),
    "fc6": ((4096,), 4096 * 4, 9216 * 4096 + 4096, 9216 * 4096),
    "fc7": ((4096,), 4096 * 4, 4096 * 4096 + 4096, 4096 * 4096),
    "fc8": ((1000,), 1000 * 4, 4096 * 1000 + 1000, 4096 * 1000),
}

# the lecture's printed cells: memory KB, params k, "flop" M (multiply-adds)
PRINTED = {
    "conv1": (784, 23, 73),
    "pool1": (182, 0, 0),
    "conv2": (547, 307, 224),
    "pool2": (127, 0, 0),
    "conv3": (254, 664, 112),
    "conv4": (169, 885, 145),
    "conv5": (169, 590, 100),
    "pool5": (36, 0, 0),
    "flatten": (36, 0, 0),
    "fc6": (16, 37_749, 38),
    "fc7": (16, 16_777, 17),
    "fc8": (4, 4_096, 4),
}

# cells where the printed value is not the exact value rounded, and why
DIFFERENT = {
    ("conv4", "MACs"): "13*13*256 * 3*3*384 = 149,520,384 rounds to 150M; the lecture prints 145",
    ("fc6", "params"): "printed without the 4,096 biases: 9216*4096 = 37,748,736",
    ("fc7", "params"): "printed without the 4,096 biases: 4096*4096 = 16,777,216",
    ("fc8", "params"): "printed without the 1,000 biases: 4096*1000 = 4,096,000",
}


@pytest.fixture(scope="module")
def alexnet():
    return cnncost.profile("alexnet")


@pytest.mark.parametrize("name", EXACT)
def test_exact_row(alexnet, name):
    shape, memory, params, macs = EXACT[name]
    row = alexnet.layer(name)
    assert (row.output_shape.dims, row.activation_bytes, row.params, row.macs) == (shape, memory, params, macs)


def half_up(value: float) -> int:
    return int(value + 0.5)


@pytest.mark.parametrize("name", PRINTED)
def test_printed_cells_are_the_exact_values_rounded(alexnet, name):
    row = alexnet.layer(name)
    computed = {
        "memory": half_up(row.activation_bytes / 1024),
        "params": half_up(row.params / 1e3),
        "MACs": half_up(row.macs / 1e6),
    }
    for (column, value), printed in zip(computed.items(), PRINTED[name], strict=True):
        if (name, column) in DIFFERENT:
            assert value != printed
        else:
            assert value == printed, f"{name} {column}"


def test_differences_are_what_the_readme_says(alexnet):
    assert half_up(alexnet.layer("conv4").macs / 1e6) == 150
    for name in ("fc6", "fc7", "fc8"):
        row = alexnet.layer(name)
        assert half_up((row.params - row.output_shape.numel) / 1e3) == PRINTED[name][1]  # without the biases


def test_the_lecture_worked_examples(alexnet):
    assert alexnet.layer("conv1").params == 23_296
    assert alexnet.layer("conv1").macs == 72_855_552
    assert alexnet.layer("conv1").activation_bytes / 1024 == 784
    assert alexnet.layer("fc6").macs == 37_748_736


def test_alexnet_totals(alexnet):
    assert alexnet.total.params == 61_100_840  # torchvision's AlexNet
    assert alexnet.total.macs == 716_767_232  # conv 658,145,280 + fc 58,621,952
    # avgpool (6x6 -> 6x6 at 227) is the one row the lecture table does not print
    assert alexnet.layer("avgpool").output_shape.dims == (256, 6, 6)
