"""The README's main job runs end to end."""
import subprocess

from conftest import ROOT


def test_demo_runs(tmp_path):
    proc = subprocess.run([str(ROOT / "scripts" / "demo.sh")], capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
                               "DEMO_DIR": str(tmp_path / "demo")})
    assert proc.returncode == 0, proc.stderr
    assert "observations: 240 rows in Parquet, 8 planets" in proc.stdout
    assert "stream: 3 micro-batches, 240 rows" in proc.stderr
    assert "stream: 0 micro-batches, 0 rows" in proc.stderr
    assert "Neptune" in proc.stdout


def test_example_connector_passes_conformance(lakeflow):
    proc = lakeflow.run("--plugin", str(ROOT / "build" / "libplanets_connector.so"), "test-connector",
                        "--source", "planets")
    assert proc.stdout.strip().endswith("0 failed")
