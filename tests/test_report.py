"""Exports: CSV and JSON carry raw integers and read back to the profile; Markdown carries the human table."""

import json

import pandas as pd
import pytest

import cnncost
from cnncost.errors import CnnCostError
from cnncost.files import write_atomic
from cnncost.report.rows import spec_text, table_rows


@pytest.fixture(scope="module")
def resnet():
    return cnncost.profile("resnet50", batch=2)


def test_csv_reads_back_equal_to_the_profile(tmp_path, resnet):
    path = tmp_path / "resnet50.csv"
    resnet.to_csv(path)
    back = pd.read_csv(path, keep_default_na=False)
    pd.testing.assert_frame_equal(back[list(resnet.to_frame().columns)], resnet.to_frame())
    assert set(back["batch"]) == {resnet.batch} and set(back["dtype"]) == {resnet.dtype}
    assert back["macs"].sum() == resnet.total.macs
    assert back["params"].sum() == resnet.total.params
    assert list(back["name"]) == [c.name for c in resnet.layers]


def test_json_carries_raw_integers(resnet):
    data = json.loads(resnet.to_json())
    assert data["total"]["macs"] == 2 * 4_089_184_256
    assert data["total"]["params"] == 25_557_032
    assert data["batch"] == 2 and data["input_shape"] == [3, 224, 224]
    assert sum(layer["flops"] for layer in data["layers"]) == data["total"]["flops"]
    assert "1 MAC" in data["conventions"]


def test_markdown_has_the_table_totals_and_conventions():
    text = cnncost.profile("alexnet").to_markdown()
    assert "| conv1     | conv2d+relu" in text
    assert "| **total** |" in text
    assert "Total params: 61,100,840" in text
    assert "KB = 1024 bytes" in text


def test_folding_puts_in_place_layers_in_the_row_before():
    p = cnncost.profile("alexnet")
    rows = table_rows(p)
    assert [r.name for r in rows] == [
        "conv1",
        "pool1",
        "conv2",
        "pool2",
        "conv3",
        "conv4",
        "conv5",
        "pool5",
        "avgpool",
        "flatten",
        "fc6",
        "fc7",
        "fc8",
    ]
    assert rows[0].kind == "conv2d+relu" and rows[0].total("flops") == 2 * 72_855_552 + 64 * 56 * 56
    assert len(table_rows(p, fold=False)) == len(p.layers)
    # a ReLU after an add in a residual block folds into the add
    kinds = {r.name: r.kind for r in table_rows(cnncost.profile("resnet18"))}
    assert kinds["layer1.0.add"] == "add+relu"


def test_spec_cells_read_like_the_lecture():
    p = cnncost.profile("alexnet")
    assert spec_text(p.layer("conv1")) == "64, 11, 4, 2"
    assert spec_text(p.layer("pool1")) == "3, 2, 0"
    assert spec_text(p.layer("fc6")) == "4096"
    assert spec_text(cnncost.profile("alexnet-paper").layer("conv2")) == "256, 5, 1, 2, groups 2"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(CnnCostError, match="No space left on device"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left behind


def test_atomic_write_to_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CnnCostError, match="cannot write .*No such file or directory"):
        write_atomic(tmp_path / "missing" / "out.csv", "x")


def test_depth_folds_blocks_into_rows():
    p = cnncost.profile("resnet50")
    stages = table_rows(p, depth=1)
    assert [r.name for r in stages] == [
        "conv1",
        "bn1",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]
    layer3 = stages[5]
    assert layer3.is_block and layer3.kind == "block of 62 layers"  # 6 blocks of 10 layers, 2 for the projection
    assert layer3.total("params") == sum(c.params for c in p.layers if c.name.startswith("layer3."))
    assert sum(r.total("macs") for r in stages) == p.total.macs
    blocks = [r.name for r in table_rows(p, depth=2) if r.is_block]
    assert blocks[:4] == ["layer1.0", "layer1.1", "layer1.2", "layer2.0"] and len(blocks) == 16


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    path = tmp_path / "out.csv"
    write_atomic(path, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
