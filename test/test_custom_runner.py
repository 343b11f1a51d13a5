"""PlatformIO test runner for m0nn: Unity's result format without Unity itself.

The C side (test/m0nn_unit.c) prints Unity-style lines, so PlatformIO's Unity
parser reports each case; nothing is downloaded (the registry may be unreachable)
and no Unity glue is compiled (the Cortex-M0 build links no C library).
A test program's exit status is reported as what it is: PlatformIO would call
exit status 1 "SIGHUP", and QEMU's `timeout` (124) a signal too.
"""

import click
from platformio.public import UnityTestRunner
from platformio.test.exception import UnitTestError
from platformio.test.runners.readers.native import NativeTestOutputReader

MODELS_SUITE = "m0nn/test_models"  # the suite `m0nn init` writes: every model with test vectors
EXIT_MEANINGS = {
    1: "one or more test cases failed",
    3: "the Cortex-M0 took a HardFault",
    124: "timed out (the test program hung)",
}


class _ExitStatusReader(NativeTestOutputReader):
    @staticmethod
    def raise_for_status(return_code):
        if return_code < 0:
            NativeTestOutputReader.raise_for_status(return_code)
        meaning = EXIT_MEANINGS.get(return_code, "see the output above")
        raise UnitTestError(f"Test program exited with status {return_code}: {meaning}")


class CustomTestRunner(UnityTestRunner):
    EXTRA_LIB_DEPS = None

    def configure_build_env(self, env):
        env.Append(CPPDEFINES=["M0NN_UNIT_TESTING"])
        return env

    def on_testing_line_output(self, line):
        # Unity's runner shows a program's other lines only with -v; m0nn's own lines (no QEMU, ...) always
        if not self.options.verbose and line.startswith("m0nn: "):
            click.echo(line, nl=False)
        super().on_testing_line_output(line)

    def stage_testing(self):
        if self.options.without_testing:
            return None
        result = _ExitStatusReader(self).begin()
        if self.test_suite.test_name == MODELS_SUITE and not self.test_suite.cases:
            # The suite ran and exited 0 with no case: PlatformIO says SKIPPED; say why.
            click.secho(
                "m0nn: no model in models/ has test vectors (models/<name>.test.npz beside <name>.onnx); "
                "nothing to check",
                fg="yellow",
            )
        return result
