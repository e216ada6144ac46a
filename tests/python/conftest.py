"""Shared fixtures: the built `lakeflow` binary, run with the test connector
plugin loaded and a private LAKEFLOW_HOME."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("LAKEFLOW_BUILD_DIR", ROOT / "build"))
BINARY = BUILD / "lakeflow"
PLUGIN = BUILD / "liblakeflow_test_plugin.so"


class Lakeflow:
    def __init__(self, home: Path):
        self.home = home
        self.env = dict(os.environ, LAKEFLOW_HOME=str(home), LAKEFLOW_PLUGINS=str(PLUGIN))

    def run(self, *args, check=True, env=None, timeout=60):
        proc = subprocess.run([str(BINARY), *args], capture_output=True, text=True,
                              env=dict(self.env, **(env or {})), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"lakeflow {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def records(self, *args, **kw):
        out = self.run(*args, **kw).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def lakeflow(tmp_path):
    assert BINARY.exists(), f"build first: {BINARY} is missing"
    return Lakeflow(tmp_path / "home")
