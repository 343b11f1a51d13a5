"""Builder of the m0qemu platform: bare-metal Cortex-M0 with Debian's toolchain.

Compiles the board support in ../bsp (vector table, startup, and the board's
output: semihosting, or the nRF51 UART for board microbit_bare) with the project,
links with the board's linker script, runs the zero-FP gate (fpgate.py;
`custom_m0nn_fp_gate = m0nn | strict | off`), checks that static RAM leaves the
stack the linked models state (ramcheck.py; the bounds come from m0nn's pre-build
step) and writes an Intel HEX copy of the
image. The `upload` target runs the image on `qemu-system-arm -M microbit`
(protocol qemu) or flashes a real BBC micro:bit v1 (board microbit_bare): with
pyOCD (protocol pyocd) or by copying the .hex onto its DAPLink drive (protocol
mbed, upload_port = the drive). It also writes `$BUILD_DIR/program`, a script
that runs the image on QEMU (a UART image through uartrun.py): PlatformIO's test
runner executes that file, so `pio test` needs no `test_testing_command`
(`custom_m0qemu_timeout` seconds, default 120, before a hung program is stopped).
"""

import os
import shlex
import shutil
import subprocess
import sys

from SCons.Script import AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()
platform_dir = platform.get_dir()
sys.path.insert(0, os.path.join(platform_dir, "builder"))
import fpgate  # noqa: E402  (lives next to this file)
import ramcheck  # noqa: E402

cpu = ["-mcpu=%s" % board.get("build.cpu", "cortex-m0"), "-mthumb"]
# The board's output: semihosting (QEMU) or the nRF51 UART (a real micro:bit); bsp/m0qemu.c
# compiles the one its define selects.
IO_DEFINES = {"semihosting": [], "nrf51_uart": ["M0QEMU_NRF51_UART"]}
io = board.get("build.m0qemu_io", "semihosting")
if io not in IO_DEFINES:
    sys.stderr.write("Error: board build.m0qemu_io %r is not one of %s\n" % (io, ", ".join(IO_DEFINES)))
    env.Exit(1)

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-gcc",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    PROGSUFFIX=".elf",
)

# Paths are resolved here and passed as list elements of their own (as PlatformIO passes
# `-T`): SCons splits a $VARIABLE's value at spaces inside a flag but quotes a list
# element's own spaces, so a project folder or m0nn's (the platform's) path with spaces
# stays one argument. -Xlinker, not -Wl, which would also split the path at its commas.
MAP_FILE = os.path.join(env.subst("$BUILD_DIR"), "program.map")
# PlatformIO adds `-T <LDSCRIPT_PATH>` itself.
env.Replace(LDSCRIPT_PATH=os.path.join(platform_dir, "ldscripts", board.get("build.ldscript")))
env.Append(
    ASFLAGS=cpu + ["-x", "assembler-with-cpp"],
    CCFLAGS=cpu + ["-ffunction-sections", "-fdata-sections", "-ffreestanding"],
    # C++ without its runtime library (-nostdlib: no libsupc++): exceptions and RTTI would
    # need it; a project's build_flags come later and may turn them back on.
    CXXFLAGS=["-fno-exceptions", "-fno-rtti"],
    LINKFLAGS=cpu
    + ["-nostartfiles", "-nostdlib", "-Wl,--gc-sections", "-Xlinker", "-Map=" + MAP_FILE, "-Wl,--cref"],
    LIBS=["gcc"],
    CPPDEFINES=["M0QEMU"] + IO_DEFINES[io],
    CPPPATH=[os.path.join(platform_dir, "bsp")],
)

env.BuildSources(os.path.join("$BUILD_DIR", "m0qemu_bsp"), os.path.join(platform_dir, "bsp"))
program = env.BuildProgram()


# The gate's mode is checked before anything compiles (a typo fails at once, not at link time).
GATE_MODE = env.GetProjectOption("custom_m0nn_fp_gate", "m0nn").strip()
if GATE_MODE not in fpgate.MODES:
    sys.stderr.write("Error: custom_m0nn_fp_gate = %r: choose one of %s\n" % (GATE_MODE, ", ".join(fpgate.MODES)))
    env.Exit(1)


def zero_fp_gate(target, source, env):
    mode = GATE_MODE
    try:
        errors, notes = fpgate.gate(str(target[0]), MAP_FILE, mode)
    except Exception as exc:  # an unreadable image or map, or an unknown mode: the build stops
        sys.stderr.write("Error: zero-FP gate: %s\n" % exc)
        return 1
    for line in notes:
        print(
            "Zero-FP gate (custom_m0nn_fp_gate = m0nn): allowed, the project's own code links %s "
            "(m0nn's code links none; `strict` refuses it)" % line
        )
    if errors:
        sys.stderr.write(
            "Error: %s links float/division helpers (Cortex-M0 has no FPU and no divider; "
            "custom_m0nn_fp_gate = %s): %s\n" % (target[0], mode, "; ".join(errors))
        )
        return 1
    return 0


if GATE_MODE != "off":
    env.AddPostAction(program, env.VerboseAction(zero_fp_gate, "Zero-FP gate on $TARGET"))

def ram_check(target, source, env):
    """Static RAM + the stack of the models the image links against the RAM (ramcheck.py).
    The bounds (C name -> <NAME>_STACK_SIZE) are what m0nn's pre-build step put in
    M0NN_STACK_BOUNDS; a build without m0nn's pre-build has none and nothing to check."""
    bounds = env.get("M0NN_STACK_BOUNDS") or {}
    if not bounds:
        return 0
    option = env.GetProjectOption("custom_m0nn_ram", "").strip()
    if option.isdigit():
        ram, where = int(option), "custom_m0nn_ram"
    else:
        ram, where = int(board.get("upload.maximum_ram_size", 16384)), "board %s" % env.subst("$BOARD")
    try:
        line = ramcheck.check(str(target[0]), ram, where, dict(bounds))
    except Exception as exc:  # an unreadable image: the build stops
        sys.stderr.write("m0nn: error: RAM check: %s\n" % exc)
        return 1
    if line:
        sys.stderr.write(line + "\n")
        return 1
    return 0


env.AddPostAction(program, env.VerboseAction(ram_check, "Checking RAM: static + the models' stack"))

hexfile = env.Command(
    os.path.join("$BUILD_DIR", "${PROGNAME}.hex"),
    program,
    env.VerboseAction("$OBJCOPY -O ihex $SOURCE $TARGET", "Intel HEX $TARGET"),
)

QEMU = [
    "timeout", "$M0QEMU_TIMEOUT", "qemu-system-arm", "-M", "microbit", "-nographic",
    "-monitor", "none", "-serial", "none",
    "-semihosting-config", "enable=on,target=native", "-kernel",
]
env.SetDefault(M0QEMU_TIMEOUT=env.GetProjectOption("custom_m0qemu_timeout", "120"))
protocol = env.subst("$UPLOAD_PROTOCOL") or board.get("upload.protocol", "qemu")


# Without QEMU, `timeout` fails with status 127 and PlatformIO's test runner shows none of
# its stderr: the upload and the test program (write_runner) say this line instead.
NO_QEMU = (
    "m0nn: error: qemu-system-arm is not on PATH: the m0qemu platform runs its images on it; "
    "install it with: sudo apt-get install qemu-system-arm"
)


def run_on_qemu(target, source, env):
    """The image on QEMU; a firmware that never returns is stopped after $M0QEMU_TIMEOUT
    seconds, and says so (timeout's 124 alone names neither the cause nor the option)."""
    if shutil.which("qemu-system-arm") is None:
        sys.stderr.write(NO_QEMU + "\n")
        return 127
    status = subprocess.call([env.subst(w) for w in QEMU] + [str(source[0])])
    if status == 124:
        sys.stderr.write(
            "m0qemu: the firmware did not return within %s s (custom_m0qemu_timeout)\n" % env.subst("$M0QEMU_TIMEOUT")
        )
    return status


if protocol == "qemu":
    upload = env.Alias("upload", program, env.VerboseAction(run_on_qemu, "Running $SOURCE on QEMU (micro:bit, Cortex-M0)"))
elif protocol == "pyocd":
    # pyOCD from PyPI (`pip install pyocd`): on PATH, else next to PlatformIO's Python.
    beside = os.path.join(os.path.dirname(sys.executable), "pyocd")
    env.Replace(
        UPLOADER=shutil.which("pyocd") or (beside if os.path.isfile(beside) else "pyocd"),
        # -W: fail at once when no probe is connected instead of waiting for one.
        UPLOADERFLAGS=["-t", board.get("debug.pyocd_target", "nrf51"), "-W"]
        + (["-u", "$UPLOAD_PORT"] if env.subst("$UPLOAD_PORT") else []),
        UPLOADCMD='"$UPLOADER" flash $UPLOADERFLAGS $SOURCE',
    )

    def need_pyocd(target, source, env):
        if shutil.which(env.subst("$UPLOADER")) is None:
            sys.stderr.write(
                "Error: pyOCD is missing; install it with: %s -m pip install pyocd\n"
                "  (or drop %s onto the board's DAPLink drive)\n" % (sys.executable, source[0])
            )
            return 1
        return 0

    upload = env.Alias(
        "upload", hexfile, [env.VerboseAction(need_pyocd, None), env.VerboseAction("$UPLOADCMD", "Flashing $SOURCE with pyOCD")]
    )
elif protocol == "mbed":

    def copy_to_drive(target, source, env):
        drive = env.subst("$UPLOAD_PORT")
        if not drive or not os.path.isdir(drive):
            sys.stderr.write(
                "Error: upload_protocol = mbed needs upload_port = the board's DAPLink drive "
                "(e.g. /media/$USER/MICROBIT); got %r\n" % drive
            )
            return 1
        shutil.copy(str(source[0]), os.path.join(drive, os.path.basename(str(source[0]))))
        if hasattr(os, "sync"):
            os.sync()  # DAPLink flashes when the file is complete on its drive
        return 0

    upload = env.Alias("upload", hexfile, env.VerboseAction(copy_to_drive, "Copying $SOURCE to $UPLOAD_PORT"))
else:
    sys.stderr.write("Error: upload_protocol %r is not one of qemu, pyocd, mbed\n" % protocol)
    env.Exit(1)
AlwaysBuild(upload)


def write_runner(target, source, env):
    """$BUILD_DIR/program: runs the image beside it on QEMU (what `pio test` executes)."""
    with open(str(target[0]), "w") as f:
        f.write("#!/bin/sh\n# Written by the m0qemu platform: runs the image on QEMU's micro:bit.\n")
        # stdout: what PlatformIO's test runner shows
        f.write("command -v qemu-system-arm >/dev/null 2>&1 || { echo %s; exit 127; }\n" % shlex.quote(NO_QEMU))
        if io == "semihosting":
            words = [env.subst(w) for w in QEMU]
            f.write('exec %s "$(dirname "$0")/program.elf"\n' % " ".join(shlex.quote(w) for w in words))
        else:  # no semihosting exit: uartrun.py stops QEMU at the image's exit line
            words = [sys.executable, os.path.join(platform_dir, "builder", "uartrun.py")]
            timeout = env.subst("$M0QEMU_TIMEOUT")
            f.write('exec %s "$(dirname "$0")/program.hex" %s\n' % (" ".join(shlex.quote(w) for w in words), timeout))
    os.chmod(str(target[0]), 0o755)
    return 0


runner = env.Command(
    os.path.join("$BUILD_DIR", "program"),
    [program, hexfile],
    env.VerboseAction(write_runner, "Writing $TARGET (runs the image on QEMU)"),
)
env.Depends(runner, [env.Value(env.subst("$M0QEMU_TIMEOUT")), env.Value(NO_QEMU)])

size = env.Alias("size", program, env.VerboseAction("$SIZEPRINTCMD", "Size of $SOURCE"))
AlwaysBuild(size)
Default([program, hexfile, runner])
