"""The github, zendesk and rest sources through the `lakeflow` command, against
`lakeflow simulate` over loopback HTTP."""
import json

import pyarrow.parquet as pq
import pytest

from conftest import ROOT

USAGE, SOURCE = 2, 3

GITHUB_TABLES = ["issues", "pull_requests", "comments", "commits", "reviews", "repositories",
                 "organizations", "teams", "assignees", "collaborators", "branches", "users"]
ZENDESK_TABLES = ["tickets", "organizations", "users", "ticket_comments", "articles", "brands",
                  "groups", "topics"]
KEYS = {"commits": "sha", "branches": "name"}


def github_options(sim):
    return ["-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo", "-o", "org=acme"]


def zendesk_options(sim):
    return ["-o", f"base_url={sim.url}", "-o", "email=agent@example.com", "-o", "api_token=t0k"]


SOURCES = {"github": (github_options, GITHUB_TABLES), "zendesk": (zendesk_options, ZENDESK_TABLES)}


@pytest.mark.parametrize("source", ["github", "zendesk"])
def test_every_table_passes_the_conformance_suite(lakeflow, simulators, source):
    options, tables = SOURCES[source]
    sim = simulators(source, "--scale", "250")
    proc = lakeflow.run("test-connector", "--source", source, *options(sim), check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.strip().endswith("0 failed")
    for table in tables:
        assert f"[{table}]" in proc.stdout, table


@pytest.mark.parametrize("source", ["github", "zendesk"])
def test_faults_change_no_record(lakeflow, simulators, source):
    """--faults 0.1: 429 with Retry-After, 500/503, slow and cut-off answers."""
    options, tables = SOURCES[source]
    scale = "100" if source == "github" else "300"  # github fans out: a request per pull
    clean = simulators(source, "--scale", scale)
    faulty = simulators(source, "--scale", scale, "--faults", "0.1", "--seed", "11")
    for table in tables:
        read = ["read", "--source", source, "-o", f"tableName={table}", "-o", "per_page=50"]
        want = lakeflow.run(*read, *options(clean)).stdout.splitlines()
        got = lakeflow.run(*read, *options(faulty), timeout=300).stdout.splitlines()
        assert sorted(got) == sorted(want), table
        assert want, table


def test_incremental_stream_reads_exactly_what_changed(lakeflow, simulators, tmp_path):
    sim = simulators("github")
    out, ck = tmp_path / "out", tmp_path / "ck"
    stream = ["stream", "--source", "github", *github_options(sim), "-o", "tableName=issues",
              "--checkpoint", str(ck), "--output", f"parquet:{out}"]
    lakeflow.run(*stream)
    first = pq.read_table(out).to_pylist()
    assert len(first) > 100

    changed = first[7]["id"]
    sim.control("POST", "issues/records", {"id": changed, "title": "retitled"})
    added = sim.control("POST", "issues/records", {"title": "new issue", "number": 4242})
    before = {p.name for p in out.iterdir()}
    lakeflow.run(*stream)
    new_parts = [p for p in out.iterdir() if p.name not in before]
    rows = [r for p in new_parts for r in pq.read_table(p).to_pylist()]
    assert sorted(r["id"] for r in rows) == sorted([changed, added["id"]])
    assert {r["id"]: r["title"] for r in rows}[changed] == "retitled"

    before = {p.name for p in out.iterdir()}
    lakeflow.run(*stream)
    assert {p.name for p in out.iterdir()} == before, "a caught-up stream wrote a batch"


def test_deletes_arrive_on_the_delete_flow(lakeflow, simulators, tmp_path):
    sim = simulators("github")
    base = ["--source", "rest", "-o", f"spec={ROOT}/testdata/rest/issues_with_deletes.yaml",
            "-o", f"base_url={sim.url}", "-o", "owner=o", "-o", "repo=r", "-o", "per_page=100",
            "-o", "tableName=issues"]
    ck = tmp_path / "ck"
    deletes = ["stream", *base, "-o", "isDeleteFlow=true", "--checkpoint", str(ck)]
    assert lakeflow.records(*deletes) == []
    victim = lakeflow.records("read", *base)[5]["id"]
    sim.control("DELETE", f"issues/records/{victim}")
    rows = lakeflow.records(*deletes)
    assert [r["id"] for r in rows] == [victim]
    assert rows[0]["updated_at"], "the deletion time orders the delete"
    assert victim not in [r["id"] for r in lakeflow.records("read", *base)]


def test_a_spec_written_by_a_user_runs_end_to_end(lakeflow, simulators):
    """The complete example of docs/rest-connectors.md, as a saved connection."""
    sim = simulators("zendesk", "--scale", "1500")
    lakeflow.run("connection", "create", "helpdesk", "--source", "rest",
                 "--option", f"spec={ROOT}/examples/rest/helpdesk.yaml",
                 "--option", f"base_url={sim.url}", "--option", "email=a@example.com",
                 "--option", "api_token=t0k")
    tickets = lakeflow.records("read", "--connection", "helpdesk", "-o", "tableName=tickets")
    assert len({t["id"] for t in tickets}) == len(tickets) == 1500
    proc = lakeflow.run("test-connector", "--connection", "helpdesk")
    assert proc.stdout.strip().endswith("0 failed")


def test_a_records_pointer_that_matches_nothing_is_an_error(lakeflow, simulators, tmp_path):
    """/items where the body holds /groups: one line naming the pointer and what the body
    holds; test-connector fails; never zero rows with exit 0."""
    sim = simulators("zendesk")
    spec = tmp_path / "wrong.yaml"
    spec.write_text("source: wrong\noptions: {base_url: {required: true}}\nbase_url: '{base_url}'\n"
                    "tables:\n  groups:\n    path: /api/v2/groups.json\n    records: /items\n"
                    "    paginator: {type: next_url, next_url_path: /next_page}\n"
                    "    primary_keys: [id]\n    schema: 'id BIGINT, name STRING'\n")
    lakeflow.run("connection", "create", "wrong", "--source", "rest", "-o", f"spec={spec}",
                 "-o", f"base_url={sim.url}")
    proc = lakeflow.run("read", "--connection", "wrong", "-o", "tableName=groups", check=False)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "'/items' matches nothing" in lines[0] and "groups" in lines[0], \
        proc.stderr
    assert proc.stdout == ""
    conformance = lakeflow.run("test-connector", "--connection", "wrong", check=False)
    assert conformance.returncode == 1
    assert "FAIL read_table.batch.succeeds [groups]" in conformance.stdout


@pytest.mark.parametrize("bad, expected", [
    ("    pth: /x\n", "bad.yaml:4: tables.things.pth: unknown field"),
    ("    path: /x\n    ingestion_type: cdc\n",
     "bad.yaml:4: tables.things.cursor_field: missing (required for ingestion_type cdc)"),
    ("    path: /x\n    schema: 'id BIGINT, name STRNG'\n", "tables.things.schema"),
])
def test_a_bad_spec_is_one_line(lakeflow, tmp_path, bad, expected):
    spec = tmp_path / "bad.yaml"
    text = "base_url: http://127.0.0.1:9\ntables:\n  things:\n" + bad
    if "schema" not in bad:
        text += "    schema: 'id BIGINT'\n    primary_keys: [id]\n"
    else:
        text += "    primary_keys: [id]\n"
    spec.write_text(text)
    proc = lakeflow.run("read", "--source", "rest", "-o", f"spec={spec}", "-o", "tableName=things",
                        check=False)
    assert proc.returncode == USAGE, proc.stderr
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_bad_credentials_are_one_line_without_the_secret(lakeflow, simulators):
    sim = simulators("github", "--auth", "Bearer the-right-one")
    read = ["read", "--source", "github", *github_options(sim), "-o", "tableName=issues"]
    proc = lakeflow.run(*read, "-o", "token=wrong-token-value", check=False)
    assert proc.returncode == SOURCE, proc.stderr
    assert "HTTP 401" in proc.stderr and "Bad credentials" in proc.stderr
    assert "wrong-token-value" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert lakeflow.records(*read, "-o", "token=the-right-one")


def test_missing_option_names_it(lakeflow, simulators):
    sim = simulators("github")
    proc = lakeflow.run("read", "--source", "github", "-o", f"base_url={sim.url}",
                        "-o", "tableName=issues", check=False)
    assert proc.returncode != 0
    assert "needs option 'owner'" in proc.stderr
    proc = lakeflow.run("read", "--source", "zendesk", "-o", "tableName=tickets", check=False)
    assert proc.returncode == USAGE
    assert "needs option 'email'" in proc.stderr


CURSOR_API = """endpoints:
  - path: /v1/events
    corpus: events
    response:
      pagination_style: cursor
      default_sort: "id asc"
      wrapper: {records_key: data}
      cursor: {next: paging.next, has_more: paging.more}
    params:
      after: {role: cursor}
      limit: {role: limit, default: 10, max: 10}
"""

CURSOR_SPEC = """source: events_api
options:
  base_url: {required: true}
base_url: "{base_url}"
tables:
  events:
    path: /v1/events
    params: {limit: "7"}
    records: /data
    paginator: {type: cursor, cursor_path: /paging/next, cursor_param: after%s}
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT, kind STRING"
"""


@pytest.mark.parametrize("stop", ["", ", has_more_path: /paging/more"])
def test_the_cursor_paginator_reads_every_page_of_the_simulators_cursor_style(
        lakeflow, simulators, tmp_path, stop):
    """23 records, 7 a page: four pages, the last token null (and has_more false)."""
    api = tmp_path / "api"
    (api / "corpus").mkdir(parents=True)
    (api / "endpoints.yaml").write_text(CURSOR_API)
    records = [{"id": i, "kind": "k%d" % (i % 3)} for i in range(1, 24)]
    (api / "corpus" / "events.json").write_text(json.dumps(records))
    (tmp_path / "events.yaml").write_text(CURSOR_SPEC % stop)
    sim = simulators(str(api))
    got = lakeflow.records("read", "--source", "rest", "-o", f"spec={tmp_path / 'events.yaml'}",
                           "-o", f"base_url={sim.url}", "-o", "tableName=events")
    assert [r["id"] for r in got] == list(range(1, 24))


GRAPHQL_API = """endpoints:
  - path: /graphql
    method: POST
    corpus: events
    response:
      pagination_style: cursor
      default_sort: "id asc"
      wrapper: {records_key: data.events.nodes}
      cursor: {next: data.events.pageInfo.endCursor, has_more: data.events.pageInfo.hasNextPage}
    params:
      after: {role: cursor}
      first: {role: limit, default: 100}
      kind: {role: filter, field: kind, op: eq}
  - path: /broken
    method: POST
    corpus: graphql_errors
"""

GRAPHQL_SPEC = """source: graphql_api
options:
  base_url: {required: true}
  kind: {description: "only events of this kind"}
base_url: "{base_url}"
defaults:
  method: POST
  errors_path: /errors
tables:
  events:
    path: /graphql
    body:
      query: >-
        query($first: Int!, $after: String, $kind: String) {
          events(first: $first, after: $after, kind: $kind) {
            nodes { id kind } pageInfo { endCursor hasNextPage } } }
      variables: {first: 4, kind: "{kind}"}
    body_params: [variables.after]
    records: /data/events/nodes
    paginator: {type: cursor, cursor_path: /data/events/pageInfo/endCursor, cursor_param: after,
                has_more_path: /data/events/pageInfo/hasNextPage}
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT, kind STRING"
  broken:
    path: /broken
    body: {query: "{ nope }"}
    records: /data/nope
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT"
"""


def test_graphql_pages_through_a_cursor_posted_in_its_variables(lakeflow, simulators, tmp_path):
    """A GraphQL query POSTed with variables; the cursor goes back in variables.after, an
    unset option's variable is left out, and errors in a 200 answer are one line."""
    api = tmp_path / "api"
    (api / "corpus").mkdir(parents=True)
    (api / "endpoints.yaml").write_text(GRAPHQL_API)
    records = [{"id": i, "kind": "click" if i % 2 else "view"} for i in range(1, 19)]
    (api / "corpus" / "events.json").write_text(json.dumps(records))
    (api / "corpus" / "graphql_errors.json").write_text(json.dumps(
        {"data": None, "errors": [{"message": "Cannot query field 'nope' on type 'Query'."}]}))
    (tmp_path / "gql.yaml").write_text(GRAPHQL_SPEC)
    sim = simulators(str(api))
    read = ["read", "--source", "rest", "-o", f"spec={tmp_path / 'gql.yaml'}",
            "-o", f"base_url={sim.url}"]
    got = lakeflow.records(*read, "-o", "tableName=events")
    assert [r["id"] for r in got] == list(range(1, 19))  # five pages of four
    clicks = lakeflow.records(*read, "-o", "tableName=events", "-o", "kind=click")
    assert [r["id"] for r in clicks] == list(range(1, 19, 2))
    proc = lakeflow.run(*read, "-o", "tableName=broken", check=False)
    assert proc.returncode == SOURCE, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "the API reported an error: Cannot query field 'nope'" in lines[0]


FORMATS_API = """endpoints:
  - path: /export.jsonl
    corpus: lines
  - path: /export.csv
    corpus: table
  - path: /broken.jsonl
    corpus: broken_lines
  - path: /broken.csv
    corpus: broken_table
"""

FORMATS_SPEC = """source: exports
options:
  base_url: {required: true}
base_url: "{base_url}"
defaults:
  format: %s
tables:
  rows:
    path: %s
    ingestion_type: snapshot
    primary_keys: [id]
    schema: "id BIGINT, name STRING, score DOUBLE, active BOOLEAN, at TIMESTAMP"
"""

CSV_BODY = ('id,name,score,active,at\r\n'
            '1,plain,1.5,true,2024-01-02T03:04:05Z\r\n'
            '2,"with, comma and ""quotes""",,false,\r\n'
            '3,"two\nlines",-0.25,,2024-02-03T00:00:00Z\r\n'
            '4,"",7,true\r\n')


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_json_lines_and_csv_answers_are_records(lakeflow, simulators, tmp_path, fmt):
    api = tmp_path / "api"
    (api / "corpus").mkdir(parents=True)
    (api / "endpoints.yaml").write_text(FORMATS_API)
    lines = [{"id": 1, "name": "plain", "score": 1.5, "active": True,
              "at": "2024-01-02T03:04:05Z"},
             {"id": 2, "name": "with, comma and \"quotes\"", "active": False},
             {"id": 3, "name": "two\nlines", "score": -0.25, "at": "2024-02-03T00:00:00Z"},
             {"id": 4, "name": "", "score": 7, "active": True}]
    jsonl = "\n".join(json.dumps(r) for r in lines[:2]) + "\n\n" + \
        "\n".join(json.dumps(r) for r in lines[2:]) + "\n"
    (api / "corpus" / "lines.json").write_text(json.dumps(jsonl))
    (api / "corpus" / "table.json").write_text(json.dumps(CSV_BODY))
    (api / "corpus" / "broken_lines.json").write_text(json.dumps('{"id": 1}\n[2]\n'))
    (api / "corpus" / "broken_table.json").write_text(json.dumps("id,name\n1,a\n2,b,c\n"))
    sim = simulators(str(api))

    def read(path):
        spec = tmp_path / f"{fmt}.yaml"
        spec.write_text(FORMATS_SPEC % (fmt, path))
        return lakeflow.run("read", "--source", "rest", "-o", f"spec={spec}",
                            "-o", f"base_url={sim.url}", "-o", "tableName=rows", check=False)

    proc = read(f"/export.{fmt}")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in got] == [1, 2, 3, 4]
    assert got[0] == {"id": 1, "name": "plain", "score": 1.5, "active": True,
                      "at": "2024-01-02T03:04:05Z"}
    assert got[1]["name"] == 'with, comma and "quotes"' and got[1].get("score") is None
    assert got[2]["name"] == "two\nlines" and got[2].get("active") is None
    assert got[3]["name"] == "" and got[3]["score"] == 7 and got[3].get("at") is None

    proc = read(f"/broken.{fmt}")
    assert proc.returncode == SOURCE, proc.stderr
    lines = proc.stderr.strip().splitlines()
    want = "JSON lines: line 2 is not a JSON object" if fmt == "jsonl" else \
        "CSV line 3: 3 fields, the header names 2"
    assert len(lines) == 1 and want in lines[0], proc.stderr
