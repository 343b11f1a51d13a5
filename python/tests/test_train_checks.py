"""The training helpers refuse what cannot work before any training, in one line: x and y that
do not fit the model and the loss, a functional ReLU in forward, exporting a model that was never
prepared for QAT; README's training snippets run as written; a float ONNX model in models/ is
named as one (m0nn gen and the pre-build)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from m0nn.errors import ModelError

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.ao.quantization import DeQuantStub, QuantStub  # noqa: E402

from m0nn.train import (  # noqa: E402
    MLP,
    TrainConfig,
    check_data,
    export_fp32_onnx,
    export_qdq_onnx,
    prepare_qat,
    train_fp32,
    train_qat,
)
from m0nn.train_conv import QNet  # noqa: E402

FAST = {"epochs": 1, "qat_epochs": 1}


def _labels(n: int = 64, width: int = 6, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, n)
    x = (rng.normal(0, 2, size=(classes, width))[y] + rng.normal(0, 1, size=(n, width))).astype(np.float32)
    return x, y


def _readme_block(marker: str) -> str:
    blocks = [b for b in re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S) if marker in b]
    assert len(blocks) == 1, marker
    return "\n".join(line[3:] for line in blocks[0].splitlines())


def test_readme_training_snippets_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 1's MLP block on the data its comment describes (numpy x [N, 6], class labels y [N]),
    then the conv block in the same scope on x [N, 3, 32]; both export models m0nn imports.
    Only the epochs are cut (TrainConfig's defaults, 60 + 30, as the snippet leaves them: ~30 s)."""
    import onnx

    import m0nn.train
    from m0nn.graph.importer import import_graph
    from m0nn.onnx_import import import_model, is_float_model

    monkeypatch.setattr(m0nn.train, "TrainConfig", lambda **kw: TrainConfig(**{"epochs": 2, "qat_epochs": 1, **kw}))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    x, y = _labels(48)
    scope: dict[str, object] = {"x": x, "y": y}
    exec(compile(_readme_block("MLP(6, [24, 24], 3)"), "README.md", "exec"), scope)
    assert import_model(tmp_path / "models" / "mynet.onnx").layers[-1].out_size == 3
    assert is_float_model(onnx.load(str(tmp_path / "models" / "fp32" / "mynet.onnx")))  # m0nn check's fp32 column
    xc = np.random.default_rng(1).normal(size=(32, 3, 32)).astype(np.float32)
    scope.update(x=xc, y=(xc[:, 0, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (xc[:, 1, 0] > 0))
    exec(compile(_readme_block("from m0nn.train_conv import QNet"), "README.md", "exec"), scope)
    graph = import_graph(tmp_path / "models" / "mynet.onnx")
    assert graph.tensor(graph.output).shape[-1] == 4


def _train_error(call: Callable[[], object]) -> str:
    with pytest.raises(ModelError) as exc:
        call()
    assert "\n" not in str(exc.value)
    return str(exc.value)


def test_mse_on_class_labels_is_the_one_line_readme_users_met() -> None:
    x, y = _labels()
    msg = _train_error(lambda: train_fp32(MLP(6, [24, 24], 3), x, y, TrainConfig(loss="mse", **FAST)))
    assert msg == "loss='mse' needs y of shape [N, 3] (float targets), y has shape [N]; class labels [N] need loss='ce'"


X, Y = _labels()


@pytest.mark.parametrize(
    ("x", "y", "loss", "message"),
    [
        (X, Y.astype(np.float32) * 0.3, "ce", "loss='ce' needs integer class labels in y, it holds fractions"),
        (X, np.eye(3, dtype=np.float32)[Y], "ce", "loss='ce' needs y of class labels [N] (integers in [0, 3)); y of"),
        (X, Y + 5, "ce", "y has labels from 5 to 7, the model has 3 outputs: loss='ce' needs labels in [0, 3)"),
        (X, Y[:10], "ce", "y has shape [10] for 64 rows of x"),
        (X[:, :5], Y, "ce", "x has shape [N, 5]: the model does not run on it ("),
        (X[:, 0], Y, "ce", "x has shape [64]: give one row per sample"),
        (X.astype(str), Y, "ce", "x must be a numeric array, it holds <U"),
        (X, np.eye(3, dtype=np.float32)[Y][:, :2], "mse", "loss='mse' needs y of shape [N, 3] (float targets), y has"),
        (X, Y, "hinge", "unknown loss 'hinge' (ce, mse)"),
    ],
    ids=["ce-fractions", "ce-onehot", "ce-range", "rows", "x-width", "x-1d", "x-str", "mse-width", "loss"],
)
def test_data_that_does_not_fit_the_model_is_one_line_before_training(
    x: np.ndarray, y: np.ndarray, loss: str, message: str
) -> None:
    model = MLP(6, [8], 3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    msg = _train_error(lambda: train_fp32(model, x, y, TrainConfig(loss=loss, **FAST)))
    assert message in msg, msg
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing trained
    if message.startswith("x has shape [N, 5]"):
        assert msg.endswith("its first layer (Linear) takes 6 features")


def test_train_qat_checks_too_and_the_check_changes_nothing() -> None:
    """train_qat refuses the same way; the check runs the model on a copy: the observers'
    ranges and every other tensor of the QAT model are as before."""
    x, y = _labels()
    qat = prepare_qat(train_fp32(MLP(6, [8], 3), x, y, TrainConfig(**FAST)), TrainConfig())
    qat(torch.as_tensor(x))  # observers have seen data
    before = {k: v.clone() for k, v in qat.state_dict().items()}
    check_data(qat, x, y, "ce")
    assert all(torch.equal(before[k], v) for k, v in qat.state_dict().items())
    msg = _train_error(lambda: train_qat(qat, x, y, TrainConfig(loss="mse", **FAST)))
    assert msg.startswith("loss='mse' needs y of shape [N, 3]")


class FunctionalReLU(nn.Module):
    """The trial's model: F.relu between two Linear layers in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.fc1, self.fc2 = nn.Linear(6, 16), nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.fc2(nn.functional.relu(self.fc1(self.quant(x)))))


class MethodReLUConv(nn.Module):
    """A conv net calling x.relu() after its conv."""

    def __init__(self) -> None:
        super().__init__()
        self.quant, self.dequant = QuantStub(), DeQuantStub()
        self.conv = nn.Conv1d(2, 4, 3)
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dequant(self.head(self.conv(self.quant(x)).relu()))


RELU_LINE = {FunctionalReLU: "relu(self.fc1(", MethodReLUConv: "self.conv(self.quant(x)).relu()"}


@pytest.mark.parametrize("build", [FunctionalReLU, MethodReLUConv], ids=["F.relu", "x.relu"])
def test_functional_relu_is_refused_before_training(build: type[nn.Module]) -> None:
    src = Path(__file__).read_text().splitlines()
    line = next(i + 1 for i, s in enumerate(src) if RELU_LINE[build] in s and "return" in s)
    shape = (6,) if build is FunctionalReLU else (2, 8)
    x, y = np.random.default_rng(0).normal(size=(16, *shape)).astype(np.float32), np.arange(16) % 3
    model = build()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    want = (
        f"{build.__name__}.forward calls a functional ReLU (test_train_checks.py:{line}): use nn.ReLU() modules "
        "in an nn.Sequential next to the Linear/Conv (F.relu in forward cannot be fused)"
    )
    assert _train_error(lambda: train_fp32(model, x, y, TrainConfig(**FAST))) == want
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing trained
    assert _train_error(lambda: prepare_qat(model, TrainConfig())) == want  # trained elsewhere


def test_a_forward_fx_cannot_trace_still_trains_and_exports(tmp_path: Path) -> None:
    """Data-dependent control flow stops torch.fx; the up-front check then leaves it to the export."""

    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant, self.dequant = QuantStub(), DeQuantStub()
            self.body = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.quant(x)
            if x.shape[0] > 0 and bool(x.abs().sum() >= 0):
                x = self.body(x)
            return self.dequant(x)

    x, y = _labels(32)
    cfg = TrainConfig(**FAST)
    export_qdq_onnx(train_qat(prepare_qat(train_fp32(Branchy(), x, y, cfg), cfg), x, y, cfg), 6, tmp_path / "b.onnx")
    assert (tmp_path / "b.onnx").is_file()


def test_exporting_a_model_never_prepared_says_so(tmp_path: Path) -> None:
    x, y = _labels(32)
    fp = train_fp32(QNet(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)), x, y, TrainConfig(**FAST))
    path = tmp_path / "noqat.onnx"
    msg = _train_error(lambda: export_qdq_onnx(fp, 6, path))
    assert msg == (
        f"{path}: QNet is not prepared for QAT (no fake quantization): export the model prepare_qat/train_qat returned"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def float_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """What export_fp32_onnx writes for an MLP (FC path) and a conv net (graph path)."""
    folder = tmp_path_factory.mktemp("float")
    mlp, conv = folder / "blobf.onnx", folder / "barsf.onnx"
    export_fp32_onnx(MLP(6, [8], 3).eval(), 6, mlp)
    net = QNet(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 3))
    export_fp32_onnx(net.eval(), (1, 10, 10), conv)
    return {"blobf": mlp, "barsf": conv}


FLOAT_LINE = (
    "a float model (no QuantizeLinear/DequantizeLinear): m0nn needs a QDQ int8 model "
    "(m0nn.train.export_qdq_onnx after QAT, or onnxruntime quantize_static)"
)


@pytest.mark.parametrize("name", ["blobf", "barsf"])
def test_float_model_is_named_by_m0nn_gen(
    name: str, float_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from m0nn.cli import main

    assert main(["gen", str(float_models[name]), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"m0nn gen: error: {float_models[name]}: {FLOAT_LINE}"], err
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_float_models_are_named_by_the_pre_build(
    float_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from m0nn import prebuild

    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    (proj / "platformio.ini").write_text("[env]\n")
    for path in float_models.values():
        shutil.copy(path, proj / "models" / path.name)
    assert prebuild.run(proj) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    want = [f"m0nn: error: models/{n}.onnx: {FLOAT_LINE}; no header written for it" for n in ("barsf", "blobf")]
    assert lines == want
