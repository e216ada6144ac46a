#!/usr/bin/env python3
"""Generates GitHub-issue-shaped JSON pages for the converter benchmark.

Output: one page per line, each page a JSON array of 100 issues in the shape of
GET /repos/{owner}/{repo}/issues (nested user, labels, assignees, milestone with
its creator, reactions, pull_request on some issues, timestamps, nulls, unicode
and escapes in titles and bodies). The output is deterministic for a given
seed and size.

    gen_issues.py OUT_PATH [--mb 220] [--seed 7]
"""

import argparse
import json
import random
from datetime import datetime, timedelta, timezone

OWNER_REPO = "lakeflow-bench/connectors"
API = "https://api.github.com"
WEB = "https://github.com"
PAGE_SIZE = 100

LOGINS = ["octocat", "hubot", "ana-\u00df", "yyoli-db", "monalisa", "j\u00f6rg", "li-wei", "\u7530\u4e2d",
          "dependabot[bot]", "renovate-bot", "mira", "oskar_k"]
ASSOCIATIONS = ["OWNER", "MEMBER", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "NONE"]
LABELS = [("bug", "d73a4a", True, "Something isn't working"),
          ("documentation", "0075ca", True, None),
          ("enhancement", "a2eeef", True, "New feature or request"),
          ("good first issue", "7057ff", True, "Good for newcomers"),
          ("connector:github", "5319e7", False, "GitHub source"),
          ("connector:zendesk", "03363d", False, "Zendesk source"),
          ("perf", "fbca04", False, "Throughput and latency"),
          ("needs-triage", "ededed", False, None)]
TITLES = ["Incremental read returns duplicates", "Schema drift: new column `closed_by`",
          "Improve throughput of JSON parsing", "Delete flow misses archived records",
          "Add Zendesk ticket_comments table", "Emoji in titles \U0001F680 break CSV output",
          "Rate limit not honoured (429)", "Docs: how to run the simulator",
          "Crash when cursor field is null", "Unicode check: na\u00efve caf\u00e9 \u2014 \u6771\u4eac",
          "Quote \"inside\" the title", "Backslash \\ in a path"]
BODY_LINES = ["Steps to reproduce:", "1. Create a connection", "2. Run `lakeflow read`",
              "Expected: all pages.", "Actual: only 30 rows.", "Seen on `main` at a1b2c3d.",
              "```\nERROR: unexpected token at offset 4096\n```", "Quote \"inside\" and backslash \\ and tab\tend.",
              "Unicode check: na\u00efve caf\u00e9 \u2014 \u6771\u4eac \u2014 \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u2014 \U0001F642",
              "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.",
              "The connector retries with exponential backoff but the server keeps answering 502."]

EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def user(rng, login=None):
    login = login or rng.choice(LOGINS)
    uid = 1000 + (hash_login(login) % 90000)
    return {
        "login": login, "id": uid, "node_id": f"U_kgDO{uid:08d}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4", "gravatar_id": "",
        "url": f"{API}/users/{login}", "html_url": f"{WEB}/{login}",
        "followers_url": f"{API}/users/{login}/followers", "repos_url": f"{API}/users/{login}/repos",
        "type": "Bot" if login.endswith("[bot]") else "User", "site_admin": login == "hubot",
    }


def hash_login(login):
    # Stable across runs (Python's hash() is salted per process).
    h = 0
    for ch in login:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


def label(index):
    name, color, default, description = LABELS[index]
    lid = 5000000000 + 31 * (index + 2)
    return {"id": lid, "node_id": f"LA_kwDO{lid}", "url": f"{API}/repos/{OWNER_REPO}/labels/{name.replace(' ', '%20')}",
            "name": name, "color": color, "default": default, "description": description}


def milestone(rng, number):
    created = EPOCH + timedelta(days=number * 30)
    return {
        "url": f"{API}/repos/{OWNER_REPO}/milestones/{number}", "html_url": f"{WEB}/{OWNER_REPO}/milestone/{number}",
        "labels_url": f"{API}/repos/{OWNER_REPO}/milestones/{number}/labels", "id": 9000000 + number,
        "node_id": f"MI_kwDO{number:06d}", "number": number, "title": f"v0.{number}",
        "description": rng.choice(["", "Release train", None]), "creator": user(rng, "yyoli-db"),
        "open_issues": rng.randint(0, 40), "closed_issues": rng.randint(0, 90),
        "state": rng.choice(["open", "closed"]), "created_at": iso(created), "updated_at": iso(created + timedelta(days=20)),
        "due_on": rng.choice([None, iso(created + timedelta(days=60))]), "closed_at": None,
    }


def body(rng):
    kind = rng.random()
    if kind < 0.15:
        return None
    if kind < 0.2:
        return ""
    lines = rng.randint(1, 6) if kind < 0.8 else rng.randint(10, 40)
    return "\r\n".join(rng.choice(BODY_LINES) for _ in range(lines))


def issue(rng, number):
    created = EPOCH + timedelta(seconds=rng.randint(0, 400 * 86400))
    updated = created + timedelta(seconds=rng.randint(0, 30 * 86400))
    closed = rng.random() < 0.45
    base = f"{API}/repos/{OWNER_REPO}/issues/{number}"
    reactions = {k: rng.choice([0, 0, 0, 1, 2, 5]) for k in ["+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"]}
    record = {
        "url": base, "repository_url": f"{API}/repos/{OWNER_REPO}", "labels_url": base + "/labels{/name}",
        "comments_url": base + "/comments", "events_url": base + "/events", "html_url": f"{WEB}/{OWNER_REPO}/issues/{number}",
        "id": 2000000000 + number * 7919, "node_id": f"I_kwDOIu{2000000000 + number * 7919}", "number": number,
        "title": rng.choice(TITLES) + (f" (#{number})" if rng.random() < 0.3 else ""),
        "user": user(rng),
        "labels": [label(i) for i in rng.sample(range(len(LABELS)), rng.choice([0, 0, 1, 1, 2, 3]))],
        "state": "closed" if closed else "open", "locked": rng.random() < 0.05,
        "assignee": None, "assignees": [user(rng) for _ in range(rng.choice([0, 0, 1, 2]))],
        "milestone": milestone(rng, rng.randint(1, 12)) if rng.random() < 0.6 else None,
        "comments": rng.randint(0, 50), "created_at": iso(created), "updated_at": iso(updated),
        "closed_at": iso(updated) if closed else None, "author_association": rng.choice(ASSOCIATIONS),
        "active_lock_reason": None,
        "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
        "body": body(rng), "closed_by": user(rng) if closed else None,
        "reactions": {"url": base + "/reactions", "total_count": sum(reactions.values()), **reactions},
        "timeline_url": base + "/timeline", "performed_via_github_app": None,
        "state_reason": rng.choice(["completed", "not_planned"]) if closed else None,
    }
    if record["assignees"]:
        record["assignee"] = record["assignees"][0]
    if rng.random() < 0.25:  # GitHub lists pull requests among issues
        merged = iso(updated) if closed and rng.random() < 0.7 else None
        record["pull_request"] = {
            "url": f"{API}/repos/{OWNER_REPO}/pulls/{number}", "html_url": f"{WEB}/{OWNER_REPO}/pull/{number}",
            "diff_url": f"{WEB}/{OWNER_REPO}/pull/{number}.diff", "patch_url": f"{WEB}/{OWNER_REPO}/pull/{number}.patch",
            "merged_at": merged,
        }
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--mb", type=float, default=220, help="stop after this many MB (default 220)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    limit = int(args.mb * 1e6)
    written = pages = 0
    number = 1
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        while written < limit:
            page = [issue(rng, number + i) for i in range(PAGE_SIZE)]
            number += PAGE_SIZE
            line = json.dumps(page, ensure_ascii=False) + "\n"
            out.write(line)
            written += len(line.encode("utf-8"))
            pages += 1
    print(f"wrote {pages} pages, {pages * PAGE_SIZE} issues, {written / 1e6:.1f} MB to {args.out}")


if __name__ == "__main__":
    main()
