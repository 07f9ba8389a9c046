"""The log fields a CloudWatch Logs Insights query reads, so a test can hold the dashboard's
queries to the fields the logs really have. No parser for Logs Insights exists as a package;
this tokenizer knows only what the field question needs, and fails on what it does not know."""

from __future__ import annotations

import re

# Words of the query language that look like field names.
KEYWORDS = {"and", "or", "not", "in", "like", "as", "by", "asc", "desc", "is", "null", "true", "false"}

# Fields Logs Insights adds to every event; always allowed.
BUILTIN_FIELDS = {"@timestamp", "@message", "@logStream", "@log", "@ingestionTime"}

TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    | (?P<number>\d+(?:\.\d+)?[A-Za-z]*)
    | (?P<name>@?[A-Za-z_][A-Za-z0-9_]*(?:\.@?[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<operator>!=|<=|>=|[=<>+\-*/%^(),\[\]|:])
    """,
    re.VERBOSE,
)


def commands(query: str) -> list[list[tuple[str, str]]]:
    """The query's commands as (kind, text) tokens. What the dashboard's queries do not use is
    not understood: a comment or a backquoted name is an error, a regex or parse's aliases read
    as fields, so a check on such a query fails rather than passes."""
    split: list[list[tuple[str, str]]] = [[]]
    pos = 0
    while pos < len(query):
        match = TOKEN.match(query, pos)
        if not match:
            raise ValueError(f"cannot read the query at {query[pos:pos + 20]!r}")
        kind, text = match.lastgroup, match.group()
        pos = match.end()
        if (kind, text) == ("operator", "|"):
            split.append([])
        elif kind != "space":
            split[-1].append((kind, text))
    return [c for c in split if c]


def logs_insights_fields(query: str) -> set[str]:
    """Every log field the query reads: names (dotted for nested JSON, @-prefixed for the
    built-ins) that are neither keywords, functions, command names, nor aliases it defines
    with `as`. SOURCE's log group is not a field."""
    parsed = commands(query)
    aliases = {
        command[i + 1][1]
        for command in parsed
        for i, (kind, text) in enumerate(command[:-1])
        if kind == "name" and text.lower() == "as"
    }
    fields: set[str] = set()
    for command in parsed:
        if command[0][1].lower() == "source":
            continue
        for index, (kind, text) in enumerate(command[1:], start=1):
            following = command[index + 1][1] if index + 1 < len(command) else ""
            if kind != "name" or text.lower() in KEYWORDS or following == "(" or text in aliases:
                continue
            fields.add(text)
    return fields
