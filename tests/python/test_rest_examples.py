"""The REST specs in examples/rest/, each written from one shared API folder's shapes
(testdata/simulator/reference/), pass the conformance suite against `lakeflow simulate`
serving that folder, and every table reads records: how to write a connector for a new
API, proven."""
import pytest

from conftest import ROOT

# example spec -> (simulator folder, connection options besides base_url, tables)
EXAMPLES = {
    "palantir": ("reference/palantir", ["token=t0k", "ontology=flights"],
                 ["object_types", "flights", "flights_loaded"]),
    "collibra": ("reference/collibra", ["username=u", "password=p4ss"],
                 ["assets", "attributes", "domains", "responsibilities"]),
    "actitime": ("reference/actitime", ["tenant=mystartup", "username=u", "password=p4ss"],
                 ["customers", "projects", "tasks", "users", "departments", "types_of_work",
                  "leave_types", "workflow_statuses", "time_zone_groups", "timetrack",
                  "leavetime"]),
    "youtube": ("reference/youtube",
                ["api_key=k3y", "channel_id=UC_test_channel_001", "playlist_id=PL_test_playlist_001",
                 "video_id=vid_test_001"],
                ["channels", "playlists", "playlist_items", "videos", "video_categories",
                 "activities", "comment_threads", "subscriptions", "search"]),
}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_example_passes_the_conformance_suite(lakeflow, simulators, example):
    folder, options, tables = EXAMPLES[example]
    sim = simulators(folder)
    args = ["-o", f"spec={ROOT / 'examples' / 'rest' / (example + '.yaml')}",
            "-o", f"base_url={sim.url}"]
    for option in options:
        args += ["-o", option]
    proc = lakeflow.run("test-connector", "--source", "rest", *args, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.strip().endswith(" 0 failed"), proc.stdout[-500:]
    assert "WARN" not in proc.stdout, [l for l in proc.stdout.splitlines() if "WARN" in l]
    for table in tables:
        assert f"[{table}]" in proc.stdout, table
        rows = lakeflow.records("read", "--source", "rest", *args, "-o", f"tableName={table}")
        assert rows, table
