"""m0nn's test image (test/m0nn/test_models): every model with test vectors in one program.

Each model's budget is checked alone (m0nn.budget); the suite links all of them with their
test vectors, so models that each fit can overflow the target's flash together, and one
model can with its vectors. Before that link, the pre-build step of `pio test` counts the
image from the headers (m0nn.budget.header_needs, m0nn.graph.code_size.data_bytes, standard
library only): every model's data + its test vectors + the largest model's lib/m0nn code
(the code the models share is counted once, so this is a floor: the harness and the board
support are left out, and an image just under it can still overflow at the link). Over the
target's flash, the build stops with one line naming the models and their sizes.

`custom_m0nn_test_models = models/a.onnx, models/b.onnx` (per environment) tests those
models only: the pre-build defines M0NN_TESTS_SELECTED and M0NN_TESTS_OF_<NAME> for them,
which m0nn_models_test.h (the same file in every environment) reads.
"""

from __future__ import annotations

import re
from pathlib import Path

from m0nn.budget import Budget, header_needs
from m0nn.graph.code_size import data_bytes
from m0nn.names import c_identifier

OPTION = "custom_m0nn_test_models"


def tested(project: Path, models: list[Path], text: str, out_dir: Path) -> tuple[list[str], bool]:
    """(C names of the models the suite tests, whether the option selects them): those with
    test vectors (a <name>_test.h in out_dir), or the ones `text` (the option) names.
    ValueError naming the option for a path that is not one of `models` or has no test vectors."""
    names = {m.resolve(): c_identifier(m.stem) for m in models}
    with_tests = [n for n in names.values() if (out_dir / f"{n}_test.h").is_file()]
    given = [s.strip() for s in re.split(r"[,\n]", text) if s.strip()]
    if not given:
        return with_tests, False
    chosen = []
    for entry in given:
        name = names.get((project / entry).resolve())
        if name is None:
            known = ", ".join(sorted(str(m.relative_to(project)) for m in models)) or "none"
            raise ValueError(f"{OPTION}: {entry} is not one of the project's models ({known})")
        if name not in with_tests:
            raise ValueError(f"{OPTION}: {entry} has no test vectors ({Path(entry).stem}.test.npz beside it)")
        chosen.append(name)
    return chosen, True


def defines(names: list[str]) -> list[str]:
    """The preprocessor symbols that select `names` in m0nn_models_test.h."""
    return ["M0NN_TESTS_SELECTED", *(f"M0NN_TESTS_OF_{n.upper()}" for n in names)]


def overflow(out_dir: Path, names: list[str], budget: Budget, selected: bool) -> str | None:
    """The error line when the test image of `names` cannot fit `budget.flash`, else None
    (also when a header does not state its sizes: the link decides)."""
    parts = []
    code = 0
    for name in names:
        try:
            model = header_needs((out_dir / f"{name}.h").read_text(encoding="utf-8", errors="replace"))
            vectors = data_bytes((out_dir / f"{name}_test.h").read_text(encoding="utf-8", errors="replace"))
        except (OSError, KeyError):
            return None
        if model is None:
            return None
        parts.append((name, model.flash_data, vectors))
        code = max(code, model.flash_code)
    total = code + sum(d + v for _, d, v in parts)
    if total <= budget.flash:
        return None
    shown = ", ".join(f"{n} (model data {d} + test vectors {v})" for n, d, v in parts)
    if len(parts) > 1:
        advice = f"test fewer at once: {OPTION} = models/<name>.onnx, ... in this environment (README, Options)"
    else:
        advice = f"fewer test vectors in models/{parts[0][0]}.test.npz make it fit"
    which = f"the models {OPTION} names" if selected else "every model with test vectors"
    return (
        f"m0nn: error: m0nn's test image ({which}) "
        f"links {shown} + lib/m0nn code {code}: at least {total} bytes of flash, the target has {budget.flash} "
        f"({budget.flash_from}); {advice}"
    )
