"""The packed 4-bit kernel's Python side: its layout, when the generator picks
it, what it emits, its golden vectors, and a model with 4-bit layers run on the
emulated M0 against the integer reference."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, needs_arm
from test_codegen import same_text

from m0nn import bench, golden
from m0nn.codegen import kernel_fn, render_model_header
from m0nn.errors import ModelError
from m0nn.layout import block4, fits_int4
from m0nn.plan import configure
from m0nn.settings import Settings


def unpack4(packed: np.ndarray, n_out: int, n_in: int) -> np.ndarray:
    """The weights back from block4's bytes, read the way the C loop reads them."""
    words = packed.view("<u4").reshape(-1, n_in)  # [block, input]
    rows = [((words[b] >> (4 * r)) & 15).astype(np.int64) - 8 for b in range(words.shape[0]) for r in range(8)]
    return np.array(rows)[:n_out]


@pytest.mark.parametrize(("n_out", "n_in"), [(1, 1), (7, 3), (8, 16), (13, 17), (64, 64)])
def test_block4_round_trips_every_weight(n_out: int, n_in: int) -> None:
    w = np.random.default_rng(n_out * 100 + n_in).integers(-8, 8, (n_out, n_in))
    packed = block4(w)
    assert packed.size == 4 * n_in * -(-n_out // 8)  # half a byte per weight, blocks padded to 8 rows
    assert (unpack4(packed, n_out, n_in) == w).all()


def test_block4_refuses_weights_outside_4_bits() -> None:
    assert not fits_int4(np.array([[8]]))
    with pytest.raises(ValueError, match=r"\[-8, 7\]"):
        block4(np.array([[-9, 0]]))


def model_4bit_then_8bit() -> bench.QModel:
    model = bench.synthetic_model("mixed", [24, 19, 5], 3, weight_bits=4)
    model.layers[1].weights[0, 0] = 100  # the second layer is 8-bit
    return model


def test_auto_picks_b4_for_4bit_layers_only_and_off_never() -> None:
    model = configure(model_4bit_then_8bit(), Settings())
    assert [layer.kernel for layer in model.layers] == ["b4", "b8"]
    assert kernel_fn(model.layers[0]).startswith("m0nn_fc_s8_b4")
    assert [layer.kernel for layer in configure(model_4bit_then_8bit(), Settings(kernel="b8w")).layers] == [
        "b4",
        "b8p",  # b8w's pairs layout: an 8-bit MUL32 layer of at most 64 inputs
    ]
    assert [layer.kernel for layer in configure(model_4bit_then_8bit(), Settings(int4="off")).layers] == ["b8", "b8"]
    assert [layer.kernel for layer in configure(model_4bit_then_8bit(), Settings(kernel="ref")).layers] == [
        "ref",
        "ref",
    ]


def test_force_refuses_an_8bit_layer() -> None:
    with pytest.raises(ModelError, match=r"layer 1 \(fc1\): int4=force, but its weights span"):
        configure(model_4bit_then_8bit(), Settings(int4="force"))
    with pytest.raises(ModelError, match="int4=force needs a blocked kernel"):
        configure(model_4bit_then_8bit(), Settings(kernel="ref", int4="force"))


def test_b4_layer_header_holds_packed_weights_and_feeds_offset_binary() -> None:
    model = configure(model_4bit_then_8bit(), Settings())
    text = render_model_header(model, Settings().line())
    assert f"static const uint8_t bench_l0_weights[{4 * 24 * 3}] M0NN_ALIGN4" in text  # 19 rows: 3 blocks
    assert "m0nn_fc_s8_b4" in text
    assert f"static const uint8_t bench_l1_weights[{8 * 19}] M0NN_ALIGN4" in text  # 5 rows: b8's 4-row block


def test_golden_b4_header_is_current() -> None:
    committed = (ROOT / "test" / "test_fc_s8_b4" / "golden_fc_s8_b4.h").read_text()
    same_text(golden.render_b4(golden.cases_b4()), committed, "golden_fc_s8_b4.h", "m0nn golden")


def test_golden_b4_cases_are_4bit_and_enter_every_slot() -> None:
    cases = golden.cases_b4()
    assert all(fits_int4(c.weights) for c in cases)
    assert {(-c.weights.shape[1]) % 16 for c in cases} == set(range(16))
    assert {c.requant.mode for c in cases} == {"q31", "mul32", "shift"}
    assert {c.weights.shape[0] % 8 for c in cases} == set(range(8))


@needs_arm
@pytest.mark.parametrize("settings", [Settings(), Settings(requant="q31"), Settings(requant="pow2")])
def test_mixed_model_on_the_emulated_m0_equals_the_reference(settings: Settings) -> None:
    # bench.measure fails unless the M0's output equals the integer reference
    with tempfile.TemporaryDirectory() as tmp:
        r = bench.measure("mixed", "m0nn", model_4bit_then_8bit(), settings, Path(tmp))
    assert r.macs == 24 * 19 + 19 * 5


def test_platformio_option_custom_m0nn_int4() -> None:
    from m0nn.plugin import build

    def options(values: dict[str, str]) -> Callable[[str, str], str]:
        return lambda key, default: values.get(key, default)

    assert build.read_options(options({}))[1].int4 == "auto"
    assert build.read_options(options({"custom_m0nn_int4": " off "}))[1].int4 == "off"
    with pytest.raises(ValueError, match="unknown int4 mode 'half'"):
        build.read_options(options({"custom_m0nn_int4": "half"}))
