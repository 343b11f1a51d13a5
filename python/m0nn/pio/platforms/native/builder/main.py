"""Builder of the offline `native` stand-in: the host's gcc, one program.

It mirrors what PlatformIO's own `native` platform does for a C project: use the
host compiler from PATH, build `program`, and offer a `size` target.
"""

from SCons.Script import COMMAND_LINE_TARGETS, AlwaysBuild, Default, DefaultEnvironment

env = DefaultEnvironment()

for tool in ("CC", "CXX"):
    if tool in env:
        del env[tool]
saved_cflags = env.get("CFLAGS", [])
saved_cxxflags = env.get("CXXFLAGS", [])
env.Tool("gcc")
env.Tool("g++")
env.Append(CFLAGS=saved_cflags, CXXFLAGS=saved_cxxflags)
if "compiledb" in COMMAND_LINE_TARGETS:
    env.Tool("compilation_db")  # again: the gcc tool replaced the C/C++ builders it had wrapped

program = env.BuildProgram()
size = env.Alias("size", program, env.VerboseAction("$SIZEPRINTCMD", "Size of $SOURCE"))
AlwaysBuild(size)
Default([program])
