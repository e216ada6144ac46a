"""A GitHub connector in the reference template's style, written with `requests`
as a community connector author would: the API's records are handed back as
the dicts GitHub sends, and the schemas say what they hold.

Options:
  base_url  the API root (default https://api.github.com)
  owner     the repository's owner
  repo      the repository
  token     optional: a personal access token
  per_page  records per page, at most 100 (default 100)
  branch    optional: the branch commits are read from
  start_date optional: where a first incremental read starts (ISO 8601)

Tables (the built-in `github` source's tables of the same names):
  issues    cdc, keys id, cursor updated_at (the API's `since`)
  commits   append, keys sha, cursor commit.author.date (`since`/`until`)
  branches  snapshot, keys name
"""
import datetime

import requests
from pyspark.sql.types import (ArrayType, BooleanType, LongType, StringType, StructField,
                               StructType, TimestampType)


def _fields(spec):
    """StructFields from (name, type) pairs."""
    return [StructField(name, kind, True) for name, kind in spec]


def _strings(*names):
    return [(name, StringType()) for name in names]


# A user as issues embed it.
SIMPLE_USER = StructType(_fields(
    [("login", StringType()), ("id", LongType()), ("node_id", StringType()),
     ("avatar_url", StringType()), ("gravatar_id", StringType()), ("url", StringType()),
     ("html_url", StringType()), ("type", StringType()), ("site_admin", BooleanType())]))

# A user as commits embed it (every URL of the profile).
FULL_USER = StructType(_fields(
    [("login", StringType()), ("id", LongType()), ("node_id", StringType()),
     *_strings("avatar_url", "gravatar_id", "url", "html_url", "followers_url", "following_url",
               "gists_url", "starred_url", "subscriptions_url", "organizations_url",
               "repos_url", "events_url", "received_events_url", "type", "user_view_type"),
     ("site_admin", BooleanType())]))

LABEL = StructType(_fields(
    [("id", LongType()), ("node_id", StringType()), ("url", StringType()),
     ("name", StringType()), ("color", StringType()), ("default", BooleanType()),
     ("description", StringType())]))

MILESTONE = StructType(_fields(
    [*_strings("url", "html_url", "labels_url"), ("id", LongType()), ("node_id", StringType()),
     ("number", LongType()), ("title", StringType()), ("description", StringType()),
     ("creator", SIMPLE_USER), ("open_issues", LongType()), ("closed_issues", LongType()),
     ("state", StringType()), ("created_at", TimestampType()), ("updated_at", TimestampType()),
     ("due_on", TimestampType()), ("closed_at", TimestampType())]))

REACTIONS = StructType(_fields(
    [("url", StringType()),
     *[(name, LongType()) for name in ("total_count", "+1", "-1", "laugh", "hooray",
                                       "confused", "heart", "rocket", "eyes")]]))

ISSUE = StructType(_fields(
    [*_strings("url", "repository_url", "labels_url", "comments_url", "events_url", "html_url"),
     ("id", LongType()), ("node_id", StringType()), ("number", LongType()),
     ("title", StringType()), ("user", SIMPLE_USER), ("labels", ArrayType(LABEL)),
     ("state", StringType()), ("locked", BooleanType()), ("assignee", SIMPLE_USER),
     ("assignees", ArrayType(SIMPLE_USER)), ("milestone", MILESTONE),
     ("comments", LongType()), ("created_at", TimestampType()),
     ("updated_at", TimestampType()), ("closed_at", TimestampType()),
     ("author_association", StringType()), ("active_lock_reason", StringType()),
     ("sub_issues_summary", StructType(_fields(
         [("total", LongType()), ("completed", LongType()), ("percent_completed", LongType())]))),
     ("body", StringType()), ("closed_by", SIMPLE_USER), ("reactions", REACTIONS),
     ("timeline_url", StringType()), ("performed_via_github_app", StringType()),
     ("state_reason", StringType()),
     ("pull_request", StructType(_fields(
         [*_strings("url", "html_url", "diff_url", "patch_url"),
          ("merged_at", TimestampType())])))]))

GIT_ACTOR = StructType(_fields(
    [("name", StringType()), ("email", StringType()), ("date", TimestampType())]))

COMMIT = StructType(_fields(
    [("sha", StringType()), ("node_id", StringType()),
     ("commit", StructType(_fields(
         [("author", GIT_ACTOR), ("committer", GIT_ACTOR), ("message", StringType()),
          ("tree", StructType(_fields(_strings("sha", "url")))), ("url", StringType()),
          ("comment_count", LongType()),
          ("verification", StructType(_fields(
              [("verified", BooleanType()), ("reason", StringType()),
               ("signature", StringType()), ("payload", StringType()),
               ("verified_at", TimestampType())])))]))),
     *_strings("url", "html_url", "comments_url"), ("author", FULL_USER),
     ("committer", FULL_USER),
     ("parents", ArrayType(StructType(_fields(_strings("sha", "url", "html_url")))))]))

BRANCH = StructType(_fields(
    [("name", StringType()),
     ("commit", StructType(_fields(_strings("sha", "url")))),
     ("protected", BooleanType()),
     ("protection", StructType(_fields(
         [("enabled", BooleanType()),
          ("required_status_checks", StructType(_fields(
              [("enforcement_level", StringType()),
               ("contexts", ArrayType(StringType())),
               ("checks", ArrayType(StringType()))])))]))),
     ("protection_url", StringType())]))

SCHEMAS = {"issues": ISSUE, "commits": COMMIT, "branches": BRANCH}

METADATA = {
    "issues": {"primary_keys": ["id"], "cursor_field": "updated_at", "ingestion_type": "cdc"},
    "commits": {"primary_keys": ["sha"], "cursor_field": "commit.author.date",
                "ingestion_type": "append"},
    "branches": {"primary_keys": ["name"], "ingestion_type": "snapshot"},
}


def _instant(text):
    """An ISO 8601 timestamp as an aware datetime (GitHub writes ...Z)."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def _iso(value):
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LakeflowConnect:
    def __init__(self, options: dict) -> None:
        self.base_url = options.get("base_url", "https://api.github.com").rstrip("/")
        self.owner = options.get("owner")
        self.repo = options.get("repo")
        if not self.owner or not self.repo:
            raise ValueError("options 'owner' and 'repo' are required")
        self.per_page = int(options.get("per_page", "100"))
        self.branch = options.get("branch")
        self.start_date = options.get("start_date")
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/vnd.github+json",
                                     "X-GitHub-Api-Version": "2022-11-28"})
        token = options.get("token")
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # ---- the template's calls -------------------------------------------------

    def list_tables(self) -> list[str]:
        return ["issues", "commits", "branches"]

    def get_table_schema(self, table_name: str, table_options: dict[str, str]) -> StructType:
        self._check(table_name)
        return SCHEMAS[table_name]

    def read_table_metadata(self, table_name: str, table_options: dict[str, str]) -> dict:
        self._check(table_name)
        return dict(METADATA[table_name])

    def read_table(self, table_name: str, start_offset: dict, table_options: dict[str, str]):
        self._check(table_name)
        if table_name == "issues":
            params = {"state": "all", "sort": "updated", "direction": "asc"}
            return self._incremental("issues", params, lambda r: r.get("updated_at"),
                                     start_offset, use_until=False)
        if table_name == "commits":
            params = {"sha": self.branch} if self.branch else {}
            return self._incremental("commits", params,
                                     lambda r: ((r.get("commit") or {}).get("author") or {})
                                     .get("date"),
                                     start_offset, use_until=True)
        return iter(self._get_all("branches", {})), None

    # ---- helpers --------------------------------------------------------------

    def _check(self, table_name):
        if table_name not in SCHEMAS:
            raise ValueError(f"Unsupported table: {table_name}")

    def _incremental(self, resource, params, cursor_of, start_offset, use_until):
        """Records whose cursor is strictly after the offset's and not after the
        moment the read started; the offset moves to the largest cursor read."""
        since = (start_offset or {}).get("cursor") or self.start_date
        now = datetime.datetime.now(datetime.timezone.utc)
        params = dict(params)
        if since:
            params["since"] = since
        if use_until:
            params["until"] = _iso(now)
        after = _instant(since) if since else None
        records, newest, newest_text = [], after, since
        for record in self._get_all(resource, params):
            text = cursor_of(record)
            if text is None:
                continue
            at = _instant(text)
            if (after is not None and at <= after) or at > now:
                continue
            records.append(record)
            if newest is None or at > newest:
                newest, newest_text = at, text
        if not records:
            return iter([]), start_offset if start_offset is not None else {}
        return iter(records), {"cursor": newest_text}

    def _get_all(self, resource, params):
        """Every record of /repos/{owner}/{repo}/{resource}, following Link headers."""
        url = f"{self.base_url}/repos/{self.owner}/{self.repo}/{resource}"
        params = dict(params, per_page=self.per_page)
        out = []
        while url:
            response = self.session.get(url, params=params, timeout=60)
            if response.status_code != 200:
                raise RuntimeError(f"GitHub API {response.status_code} for {response.url}: "
                                   f"{response.text[:200]}")
            page = response.json()
            if not isinstance(page, list):
                raise RuntimeError(f"expected a list from {response.url}")
            out.extend(page)
            url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query
        return out
