"""The credential boundary, attacked: each test is an attack from issue 16 on a
loopback server that records what reaches it.

A connection owner holds the credentials and grants read options through the
allow-list; whoever reads must not be able to move those credentials, read
this machine's files through the source, or make lakeflow write a secret
anywhere. Every test checks the attack fails with one error line, and that
the canary secret reached no other listener and no output or file."""
import gzip
import http.server
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from conftest import ROOT, free_port

TOKEN = "canary-Tk9x2LmQ7vZ4pW8s"  # the connection's secret


class Recorder:
    """A loopback HTTP server answering by a route function, recording every
    request: (method, path, headers)."""

    def __init__(self, route):
        self.requests = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.requests.append(("GET", self.path, dict(self.headers)))
                status, headers, body = route(self.path, recorder)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def saw_token(self):
        return any(TOKEN in json.dumps(r) for r in self.requests)


@pytest.fixture
def servers():
    made = []

    def make(route):
        r = Recorder(route)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def page(records, headers=None, status=200):
    return status, dict({"Content-Type": "application/json"}, **(headers or {})), \
        json.dumps(records).encode()


SPEC = """
source: hostile
options:
  base_url: {required: true}
  token: {required: true, secret: true}
  owner: {default: octo}
  api_key: {secret: true}
base_url: "{base_url}"
auth: {type: bearer, token: "{token}"}
headers: {X-Owner: "{owner}"}
tables:
  items:
    path: "/items/{owner}"
    paginator: {type: link_header}
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT, slug STRING"
  pages:
    path: /pages
    paginator: {type: next_url, next_url_path: /next}
    records: /items
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT"
  children:
    path: "/children/{slug}"
    parent: {table: items, bind: {slug: slug}}
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT"
"""

QUERY_KEY_SPEC = """
source: querykey
options:
  base_url: {required: true}
  api_key: {required: true, secret: true}
base_url: "{base_url}"
auth: {type: api_key, name: appkey, key: "{api_key}", in: query}
tables:
  events:
    path: /events
    paginator: {type: next_url, next_url_path: /next}
    records: /items
    cursor_param: since
    ingestion_type: append
    cursor_field: at
    primary_keys: [id]
    schema: "id BIGINT, at TIMESTAMP"
  # Read as a stream, a snapshot keeps page URLs in its offsets.
  snap:
    path: /events
    paginator: {type: next_url, next_url_path: /next}
    records: /items
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT, at TIMESTAMP"
"""


def connection(lakeflow, tmp_path, base_url, *extra, spec=SPEC, name="c"):
    spec_file = tmp_path / f"{name}.yaml"
    spec_file.write_text(spec)
    (tmp_path / "token").write_text(TOKEN + "\n")
    lakeflow.run("connection", "create", name, "--source", "rest", "-o", f"spec={spec_file}",
                 "-o", f"base_url={base_url}", "-o", f"token=file:{tmp_path / 'token'}", *extra)
    return name


def assert_one_line_error(proc, *words):
    assert proc.returncode != 0, proc.stdout
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert TOKEN not in proc.stderr + proc.stdout


# ---- The allow-list is the boundary ---------------------------------------------------------

def test_table_configs_cannot_move_the_base_url(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    evil = servers(lambda path, r: page([]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    configs = json.dumps({"items": {"base_url": evil.url}})
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                        "-o", f"tableConfigs={configs}", check=False)
    assert_one_line_error(proc, "base_url", "tableConfigs", "not allowed")
    assert evil.requests == [] and good.requests == []


def test_table_configs_keys_the_connection_allows_pass(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    configs = json.dumps({"items": {"owner": "other"}})
    rows = lakeflow.records("read", "--connection", "c", "-o", "tableName=items",
                            "-o", f"tableConfigs={configs}")
    assert rows == [{"id": 1, "slug": "a"}]
    assert good.requests[0][1] == "/items/other"


def test_pipeline_table_configuration_is_checked_too(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    evil = servers(lambda path, r: page([]))
    connection(lakeflow, tmp_path, good.url)
    spec = tmp_path / "p.yaml"
    spec.write_text(f"""
connection_name: c
destination: {{type: sqlite, path: {tmp_path / 'db.sqlite'}}}
objects:
  - table:
      source_table: items
      table_configuration: {{base_url: "{evil.url}"}}
""")
    proc = lakeflow.run("pipeline", "run", str(spec), check=False)
    assert proc.returncode != 0
    assert "not allowed" in proc.stderr and "base_url" in proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout
    assert evil.requests == []


def test_read_options_are_not_secret_references(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    private = tmp_path / "private"
    private.write_text("PRIVATE-CONTENT-77")
    os.environ["LAKEFLOW_TEST_ENV_SECRET"] = "ENV-CONTENT-88"
    # A file reference holds '/', which no path value may: refused before sending.
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                        "-o", f"owner=file:{private}", check=False)
    assert proc.returncode != 0 and "PRIVATE-CONTENT-77" not in proc.stderr
    lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                 "-o", "owner=env:LAKEFLOW_TEST_ENV_SECRET")
    seen = json.dumps(good.requests)
    assert "PRIVATE-CONTENT-77" not in seen and "ENV-CONTENT-88" not in seen
    assert good.requests[0][2]["X-Owner"] == "env:LAKEFLOW_TEST_ENV_SECRET"


def test_a_read_option_cannot_override_a_connection_option(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([]))
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                        "-o", "token=other", check=False)
    assert_one_line_error(proc, "token", "not allowed")


# ---- Credentials stay on their origin -------------------------------------------------------

def test_a_next_link_to_another_port_is_refused(lakeflow, tmp_path, servers):
    evil = servers(lambda path, r: page([{"id": 9, "slug": "x"}]))
    good = servers(lambda path, r: page(
        [{"id": 1, "slug": "a"}], {"Link": f'<{evil.url}/items/octo?page=2>; rel="next"'}))
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items", check=False)
    assert_one_line_error(proc, "not on the connection's origin", good.url.split("//")[1])
    assert evil.requests == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "dict://127.0.0.1:{port}/x",
                                    "ftp://127.0.0.1:{port}/x", "gopher://127.0.0.1:{port}/x"])
def test_a_next_url_of_another_scheme_is_refused(lakeflow, tmp_path, servers, target):
    evil = servers(lambda path, r: page([]))
    target = target.format(port=evil.port)
    good = servers(lambda path, r: page({"items": [{"id": 1}], "next": target}))
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=pages", check=False)
    assert_one_line_error(proc, "not an http or https URL")
    assert "root:" not in proc.stderr  # /etc/passwd's first line
    assert evil.requests == []


def test_a_relative_next_url_stays_on_the_origin(lakeflow, tmp_path, servers):
    def route(path, r):
        if path == "/pages":
            return page({"items": [{"id": 1}], "next": "/pages?after=1"})
        return page({"items": [{"id": 2}], "next": None})
    good = servers(route)
    connection(lakeflow, tmp_path, good.url)
    rows = lakeflow.records("read", "--connection", "c", "-o", "tableName=pages")
    assert rows == [{"id": 1}, {"id": 2}]


def test_a_redirect_to_another_origin_is_refused(lakeflow, tmp_path, servers):
    evil = servers(lambda path, r: page([{"id": 9, "slug": "x"}]))
    good = servers(lambda path, r: (302, {"Location": f"{evil.url}/steal"}, b""))
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items", check=False)
    assert_one_line_error(proc, "redirect", "leaves the origin")
    assert evil.requests == []


def test_a_redirect_on_the_origin_is_followed_with_credentials(lakeflow, tmp_path, servers):
    def route(path, r):
        if path.startswith("/items/"):
            return 301, {"Location": "/moved"}, b""
        return page([{"id": 1, "slug": "a"}])
    good = servers(route)
    connection(lakeflow, tmp_path, good.url)
    rows = lakeflow.records("read", "--connection", "c", "-o", "tableName=items")
    assert rows == [{"id": 1, "slug": "a"}]
    assert good.requests[1][1] == "/moved"
    assert good.requests[1][2]["Authorization"] == f"Bearer {TOKEN}"


# ---- Bounded responses ----------------------------------------------------------------------

def test_a_gzip_bomb_is_one_error_line(lakeflow, tmp_path, servers):
    bomb = gzip.compress(b"[" + b" " * (64 << 20) + b"]", compresslevel=9)
    good = servers(lambda path, r: (200, {"Content-Encoding": "gzip",
                                          "Content-Type": "application/json"}, bomb))
    connection(lakeflow, tmp_path, good.url, "-o", "max_response_bytes=8000000")
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items", check=False)
    assert_one_line_error(proc, "larger than 8000000 bytes", "max_response_bytes")
    assert len(good.requests) == 1  # not retried


# ---- Template values are escaped ------------------------------------------------------------

def test_a_parent_field_cannot_rewrite_the_child_path(lakeflow, tmp_path, servers):
    def route(path, r):
        if path.startswith("/items/"):
            return page([{"id": 1, "slug": "../../admin/delete"}])
        return page([{"id": 5}])
    good = servers(route)
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=children", check=False)
    assert_one_line_error(proc, "slug", "URL path")
    assert not any("admin" in path for _, path, _ in good.requests)


def test_a_path_value_is_percent_encoded(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    lakeflow.run("read", "--connection", "c", "-o", "tableName=items", "-o", "owner=a b&c")
    assert good.requests[0][1] == "/items/a%20b%26c"


def test_a_line_break_cannot_add_a_header(lakeflow, tmp_path, servers):
    good = servers(lambda path, r: page([]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                        "-o", "owner=x\r\nX-Injected: 1", check=False)
    assert_one_line_error(proc, "owner", "line break")
    assert good.requests == []


# ---- Secrets shown nowhere ------------------------------------------------------------------

def test_show_masks_spec_secrets_and_declared_ones(lakeflow, tmp_path, servers):
    spec_file = tmp_path / "s.yaml"
    spec_file.write_text(SPEC)
    lakeflow.run("connection", "create", "c", "--source", "rest", "-o", f"spec={spec_file}",
                 "-o", "base_url=http://127.0.0.1:1", "-o", "api_key=KEYVALUE123",
                 "-o", "token=TOKENVALUE123", "-o", "owner=OWNERVALUE", "--secret", "owner")
    shown = lakeflow.run("connection", "show", "c").stdout
    for value in ("KEYVALUE123", "TOKENVALUE123", "OWNERVALUE"):
        assert value not in shown
    assert "base_url: http://127.0.0.1:1" in shown


def test_python_connectors_declare_secrets_in_connector_spec(lakeflow, tmp_path):
    folder = tmp_path / "conn"
    folder.mkdir()
    (folder / "sa.py").write_text("class SA:\n    def __init__(self, options):\n        pass\n")
    (folder / "connector_spec.yaml").write_text(
        "connection:\n  parameters:\n    - name: service_account_json\n      type: string\n"
        "      secret: true\n")
    lakeflow.run("connection", "create", "p", "--source", "python", "-o", f"module={folder}/sa.py",
                 "-o", "class=SA", "-o", "service_account_json={\"private\": \"PKVALUE\"}")
    assert "PKVALUE" not in lakeflow.run("connection", "show", "p").stdout


def test_a_query_key_echoed_in_next_links_is_written_nowhere(lakeflow, tmp_path, servers):
    def route(path, r):
        if "after=" not in path:
            return page({"items": [{"id": 1, "at": "2024-01-01T00:00:00Z"}],
                         "next": f"{r.url}/events?after=1&appkey={TOKEN}"})
        return page({"items": [{"id": 2, "at": "2024-01-02T00:00:00Z"}], "next": None})
    good = servers(route)
    spec_file = tmp_path / "q.yaml"
    spec_file.write_text(QUERY_KEY_SPEC)
    (tmp_path / "key").write_text(TOKEN)
    lakeflow.run("connection", "create", "q", "--source", "rest", "-o", f"spec={spec_file}",
                 "-o", f"base_url={good.url}", "-o", f"api_key=file:{tmp_path / 'key'}")
    work = tmp_path / "work"
    work.mkdir()
    outputs = []
    for table in ("events", "snap"):
        outputs.append(lakeflow.run("stream", "--connection", "q", "-o", f"tableName={table}",
                                    "--checkpoint", str(work / f"ckpt-{table}"),
                                    "--max-records-per-batch", "1"))
    offsets = work / "ckpt-snap" / "offsets" / "0"
    assert '"page"' in offsets.read_text()
    assert stat.S_IMODE(offsets.stat().st_mode) & 0o077 == 0, "checkpoints are private"
    pipeline = work / "p.yaml"
    pipeline.write_text(f"""
connection_name: q
destination: {{type: sqlite, path: {work / 'db.sqlite'}}}
objects:
  - table: {{source_table: events}}
  - table: {{source_table: snap}}
""")
    outputs.append(lakeflow.run("pipeline", "run", str(pipeline)))
    outputs.append(lakeflow.run("pipeline", "status", str(pipeline)))
    for proc in outputs:
        assert TOKEN not in proc.stdout + proc.stderr
    for path in work.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    # every request carried the key once, to the one origin
    assert all(p.count("appkey=") == 1 for _, p, _ in good.requests), good.requests
    assert len(good.requests) >= 4


def test_spark_options_are_checked_at_every_depth(home_cli, tmp_path, servers):
    """The PySpark data source opens reads through the native module: Spark's
    options (keys lower-cased) meet the same allow-list."""
    import sys
    sys.path.insert(0, str(ROOT / "python" / "lakeflow_connect" / "src"))
    import lakeflow_connect.native  # finds the built module (LAKEFLOW_NATIVE_DIR)
    native = lakeflow_connect._native
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    evil = servers(lambda path, r: page([]))
    connection(home_cli, tmp_path, good.url, name="spark_sec")
    for options in ({"tableconfigs": json.dumps({"items": {"base_url": evil.url}})},
                    {"base_url": evil.url}):
        with pytest.raises(native.LakeflowError, match="not allowed"):
            native.Source({"databricks.connection": "spark_sec", "tablename": "items", **options})
    assert evil.requests == []


# ---- Hostile input ---------------------------------------------------------------------------

def test_an_option_that_is_not_utf8_is_one_line(lakeflow, tmp_path, servers):
    """Options travel as JSON (table configs, checkpoints), which holds only UTF-8."""
    good = servers(lambda path, r: page([{"id": 1, "slug": "a"}]))
    connection(lakeflow, tmp_path, good.url, "--allow", "owner")
    proc = lakeflow.run("read", "--connection", "c", "-o", "tableName=items",
                        "-o", "owner=caf\udce9", check=False)
    assert proc.returncode == 2
    assert_one_line_error(proc, "the value of --option 'owner' is not valid UTF-8")
    assert good.requests == []


def test_a_next_link_with_bytes_past_ascii_is_percent_encoded(lakeflow, tmp_path, servers):
    """A Link header's bytes are the server's, UTF-8 or not: as a browser does, lakeflow
    percent-encodes those past ASCII, so the URL it sends and keeps in offsets (JSON, in
    checkpoints) is ASCII, and the stream reads on."""
    def route(path, r):
        if "page=" in path:
            return page([{"id": 2, "slug": "b"}])
        return page([{"id": 1, "slug": "a"}],
                    {"Link": f'<{r.url}/items/octo?page=2&x=caf\xe9>; rel="next"'})
    good = servers(route)
    connection(lakeflow, tmp_path, good.url)
    proc = lakeflow.run("stream", "--connection", "c", "-o", "tableName=items",
                        "--checkpoint", str(tmp_path / "ck"), "--max-records-per-batch", "1")
    assert sorted(json.loads(line)["id"] for line in proc.stdout.splitlines()) == [1, 2]
    assert [p for _, p, _ in good.requests if "page=" in p] == ["/items/octo?page=2&x=caf%E9"]
    for offsets in (tmp_path / "ck" / "offsets").iterdir():
        offsets.read_text(encoding="ascii")  # ASCII, so valid JSON text
