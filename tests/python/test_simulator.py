"""`lakeflow simulate` as a subprocess, read with urllib following Link rel=next."""
import json
import re
import urllib.error
import urllib.request

import pytest


def get(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.headers, json.loads(resp.read())


@pytest.fixture
def simulator(simulators):
    return simulators("github").url


def next_link(headers):
    m = re.search(r'<([^>]*)>; rel="next"', headers.get("Link") or "")
    return m.group(1) if m else None


def test_reads_every_issue_once_following_link_next(simulator):
    url = simulator + "/repos/octo/repo/issues?per_page=25"
    ids, pages = [], 0
    while url:
        status, headers, body = get(url)
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        ids += [r["id"] for r in body]
        pages += 1
        url = next_link(headers)
    assert pages == 6
    assert len(ids) == 150
    assert len(set(ids)) == 150


def test_unknown_path_is_json_404(simulator):
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(simulator + "/nope", timeout=10)
    assert err.value.code == 404
    assert json.loads(err.value.read()) == {"message": "Not Found"}


def test_control_endpoints_need_the_credentials_and_a_json_body(simulators):
    """With --auth, the control endpoints (which change and reveal the corpus) need
    the credentials too, all but the health check; and a write must be JSON, so
    that a web page cannot post text/plain to a simulator on loopback."""
    sim = simulators("github", "--auth", "Bearer sim-secret")
    body = json.dumps({"title": "changed"}).encode()

    def post(headers):
        req = urllib.request.Request(sim.url + "/_simulator/issues/records", data=body,
                                     method="POST", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    assert post({"Content-Type": "application/json"}) == 401
    assert post({"Content-Type": "text/plain", "Authorization": "Bearer sim-secret"}) == 415
    assert post({"Content-Type": "application/json", "Authorization": "Bearer sim-secret"}) \
        in (200, 201)
    assert get(sim.url + "/_simulator/health")[0] == 200
