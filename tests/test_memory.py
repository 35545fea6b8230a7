"""Inference liveness and training memory by hand, on tiny graphs."""

import pytest

import cnncost
from cnncost import Graph, layer
from cnncost.analysis import graph_of
from cnncost.analysis.memory import inference_memory, training_memory
from cnncost.analysis.optimizers import OPTIMIZERS

SGD, MOMENTUM, ADAM, ADAMW = OPTIMIZERS


def analyse(net, batch=1):
    p = cnncost.profile(net, batch=batch)
    return p, inference_memory(graph_of(p), p), training_memory(graph_of(p), p)


CHAIN = Graph.build(
    "chain",
    [
        layer("conv2d", "conv1", out_channels=4, kernel_size=3, padding=1),  # 4x8x8 = 256 elements, 1024 B
        layer("relu", "relu1", inplace=True),  # the same storage
        layer("conv2d", "conv2", out_channels=2, kernel_size=1),  # 2x8x8 = 128 elements, 512 B
        layer("flatten", "flat"),  # a view of conv2
        layer("linear", "fc", out_features=10),  # 40 B
    ],
    input=(3, 8, 8),
)  # 3x8x8 = 192 elements, 768 B


def test_liveness_of_a_chain():
    p, memory, _ = analyse(CHAIN)
    assert memory.live_bytes == (  # the caller holds the input (768 B) while the network runs
        768 + 1024,  # conv1 reads the input and writes its output
        768 + 1024,  # relu1 in place: no new storage
        768 + 1024 + 512,  # conv2 reads relu1 (conv1's storage)
        768 + 512,  # flatten is a view of conv2: nothing new
        768 + 512 + 40,  # fc reads it and writes 40 B
    )
    assert (memory.peak_bytes, memory.peak_layer) == (2304, "conv2")
    assert memory.sum_bytes == 1024 + 512 + 512 + 40 == p.total.activation_bytes  # the lecture's sum counts flatten


def test_a_shortcut_keeps_the_input_alive_and_batch_scales():
    net = Graph.build(
        "residual",
        [
            layer("conv2d", "a", out_channels=3, kernel_size=3, padding=1),  # 3x8x8: 768 B, like the input
            layer("relu", "a.relu", inplace=True),
            layer("conv2d", "b", out_channels=3, kernel_size=3, padding=1),
            layer("add", "sum", "b", "input"),
            layer("relu", "out", inplace=True),
        ],
        input=(3, 8, 8),
    )
    _, memory, _ = analyse(net)
    # the caller holds the input: a 2·768, a.relu 2·768, b 3·768, sum 3·768 (input, b, sum), out 2·768 (input, sum)
    assert memory.live_bytes == (1536, 1536, 2304, 2304, 1536)
    _, memory, _ = analyse(net, batch=4)
    assert memory.peak_bytes == 4 * 2304


def test_max_pooling_indices_and_local_response_norm_temporaries_count_while_they_run():
    net = Graph.build(
        "pooled",
        [
            layer("max_pool2d", "pool", kernel_size=2),  # 3x4x4 = 192 B, and 48 int64 indices
            layer("local_response_norm", "norm", size=3),  # 192 B, and 2 x its input while it runs
        ],
        input=(3, 8, 8),
    )
    _, memory, _ = analyse(net)
    assert memory.live_bytes == (768 + 192 + 8 * 48, 768 + 192 + 192 + 2 * 192)


def test_outputs_nothing_reads_live_to_the_end():
    net = Graph.build(
        "two-heads",
        [
            layer("conv2d", "aux", out_channels=1, kernel_size=1),  # 1x8x8: 256 B, read by nobody
            layer("conv2d", "main", "input", out_channels=2, kernel_size=1),  # 512 B
        ],
        input=(3, 8, 8),
    )
    assert analyse(net)[1].live_bytes == (768 + 256, 768 + 256 + 512)


def test_training_memory_by_hand():
    net = Graph.build(
        "small",
        [
            layer("conv2d", "conv", out_channels=4, kernel_size=3, padding=1),
            layer("batch_norm2d", "bn"),
            layer("relu", "relu", inplace=True),
            layer("max_pool2d", "pool", kernel_size=2),
            layer("flatten", "flat"),
            layer("dropout", "drop"),
            layer("linear", "fc", out_features=10),
        ],
        input=(3, 8, 8),
    )
    p, _, training = analyse(net, batch=2)
    kept = {(s.layer, s.what): s.bytes for s in training.saved}
    assert kept == {
        ("conv", "input"): 2 * 192 * 4,  # the input batch, 1536
        ("bn", "input"): 2 * 256 * 4,  # conv's output, 2048
        ("bn", "statistics"): 2 * 4 * 4,  # mean and inverse deviation of 4 channels, fp32
        ("relu", "output"): 2 * 256 * 4,  # bn's output, overwritten in place
        ("pool", "indices"): 2 * 64 * 8,  # int64, one per output element (pool's input is relu's: counted)
        ("drop", "mask"): 2 * 64 * 4,
        ("fc", "input"): 2 * 64 * 4,  # dropout's output, a new tensor in training
    }
    assert training.activation_bytes == 1536 + 2048 + 32 + 2048 + 1024 + 512 + 512 == 7712
    params = (4 * 27 + 4) + 2 * 4 + (64 * 10 + 10)  # 770
    assert training.weight_bytes == training.gradient_bytes == 4 * params == 3080
    assert training.parameter_tensors == 6
    assert [training.optimizer_bytes(o) for o in OPTIMIZERS] == [0, 3080, 2 * 3080 + 6 * 4, 2 * 3080 + 6 * 4]
    buffers = 4 * 2 * 4 + 8  # running mean and variance (fp32), and the int64 batch count
    assert training.total_bytes(ADAM) == 3080 + buffers + 3080 + 6184 + 7712
    assert training.kept_by_layer() == {"input": 1536, "conv": 2048, "bn": 32 + 2048, "pool": 1024, "drop": 1024}


def test_views_and_in_place_copies():
    net = Graph.build(
        "views",
        [
            layer("conv2d", "conv", out_channels=4, kernel_size=1),
            layer("slice", "half", start=0, end=2),  # a view of conv
            layer("hardswish", "act", inplace=True),  # torch copies its input first
            layer("conv2d", "next", out_channels=2, kernel_size=1),
            layer("adaptive_avg_pool2d", "gap", output_size=1),  # a mean: keeps nothing
            layer("multiply", "gate", "next", "gap"),  # keeps both inputs
        ],
        input=(3, 4, 4),
    )
    _, _, training = analyse(net)
    assert [(s.layer, s.what, s.storage, s.bytes) for s in training.saved] == [
        ("conv", "input", "input", 3 * 16 * 4),
        ("act", "copy of input", "act:copy of input", 2 * 16 * 4),
        ("next", "input", "conv", 4 * 16 * 4),  # hardswish in place on a slice: all of conv's storage
        ("gate", "input", "next", 2 * 16 * 4),
        ("gate", "input", "gap", 2 * 1 * 4),
    ]


def test_every_architecture_has_a_memory_estimate():
    for name in cnncost.list_models():
        p = cnncost.profile(name)
        inference, training = inference_memory(graph_of(p), p), training_memory(graph_of(p), p)
        assert 0 < inference.peak_bytes <= inference.sum_bytes + inference.input_bytes
        assert training.total_bytes(SGD) < training.total_bytes(MOMENTUM) < training.total_bytes(ADAM)


@pytest.mark.parametrize(
    "name, peak, at",
    [
        # the input, conv1's output read by pool1, pool1's 64x27x27 output and its int64 indices: 1.89 MB
        ("alexnet", 4 * (3 * 227 * 227 + 64 * 56 * 56 + 64 * 27 * 27) + 8 * 64 * 27 * 27, "pool1"),
        ("vgg16", 4 * (3 * 224 * 224 + 2 * 64 * 224 * 224), "conv1_2"),  # the input and two 64x224x224 maps, 25.1 MB
    ],
)
def test_peak_by_hand(name, peak, at):
    p = cnncost.profile(name)
    memory = inference_memory(graph_of(p), p)
    assert (memory.peak_bytes, memory.peak_layer) == (peak, at)


def test_table_memory(capsys):
    import json

    from cnncost.cli import main

    assert main(["table", "alexnet", "--memory", "--exact"]) == 0
    out = capsys.readouterr().out
    p = cnncost.profile("alexnet")
    training = training_memory(graph_of(p), p)
    assert "Training assumptions:" in out and "Adam" in out
    assert f"│ {training.total_bytes(ADAM):,} │" in out.replace(" │\n", " │\n")
    assert f"{4 * (3 * 227 * 227 + 64 * 56 * 56):,}" in out  # the peak, at conv1
    assert main(["table", "resnet18", "--memory", "--batch", "4", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    p = cnncost.profile("resnet18", batch=4)
    assert data["memory"]["training"]["total_bytes"]["adam"] == training_memory(graph_of(p), p).total_bytes(ADAM)
    assert data["memory"]["inference"]["peak_live_bytes"] == max(layer["live_bytes"] for layer in data["layers"])
    assert main(["table", "alexnet", "--memory", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert ",live_bytes,kept_bytes," in header
