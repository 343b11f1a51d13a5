"""Build step: the wheel carries the C library, the test harness and the pre-build
script as package data (m0nn/pio/), copied from the one copy of each in this
repository at build time. Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (source in the repository, destination under m0nn/pio/, files to leave out)
COPIES = [
    ("lib/m0nn", "lib/m0nn", ("generated", "__pycache__")),
    ("test/m0nn_unit.c", "test/m0nn_unit.c", ()),
    ("test/m0nn_unit.h", "test/m0nn_unit.h", ()),
    ("test/model_test_body.h", "test/model_test_body.h", ()),
    ("test/graph_model_test_body.h", "test/graph_model_test_body.h", ()),
    ("test/test_custom_runner.py", "test/test_custom_runner.py", ()),
    ("test/fuzz", "test/fuzz", ()),
    ("extra_scripts/m0nn_prebuild.py", "extra_scripts/m0nn_prebuild.py", ()),
]


class BuildWithPlatformIOData(build_py):
    def run(self):
        super().run()
        dest_root = Path(self.build_lib) / "m0nn" / "pio"
        for src, dest, skip in COPIES:
            source, target = ROOT / src, dest_root / dest
            if source.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithPlatformIOData})
