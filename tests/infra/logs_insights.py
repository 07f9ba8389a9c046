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
    | (?P<comment>\#[^\n]*)
    | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
    | (?P<backquoted>`[^`]*`)
    | (?P<number>\d+(?:\.\d+)?[A-Za-z]*)
    | (?P<name>@?[A-Za-z_][A-Za-z0-9_]*(?:\.@?[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<regex_or_slash>/)
    | (?P<operator>=~|!=|<=|>=|[=<>+\-*%^(),\[\]|:])
    """,
    re.VERBOSE,
)
REGEX_BODY = re.compile(r"(?:\\.|[^/\\])*/")


def tokens(query: str) -> list[tuple[str, str]]:
    """(kind, text) pairs; comments, whitespace and the insides of strings and regexes dropped."""
    found: list[tuple[str, str]] = []
    pos = 0
    while pos < len(query):
        match = TOKEN.match(query, pos)
        if not match:
            raise ValueError(f"cannot read the query at {query[pos:pos + 20]!r}")
        kind, text = match.lastgroup, match.group()
        pos = match.end()
        if kind == "regex_or_slash":
            previous = found[-1][1].lower() if found else ""
            # A regex literal follows `like`, `=~` or parse's field; elsewhere / divides.
            if previous in {"like", "=~"} or current_command(found) == "parse":
                body = REGEX_BODY.match(query, pos)
                if not body:
                    raise ValueError(f"unterminated regex in {query!r}")
                pos = body.end()
                found.append(("regex", "/"))
                continue
            kind = "operator"
        if kind not in {"space", "comment"}:
            found.append((kind, text))
    return found


def current_command(found: list[tuple[str, str]]) -> str:
    for index in range(len(found) - 1, -1, -1):
        if found[index][1] == "|":
            return found[index + 1][1].lower() if index + 1 < len(found) else ""
    return found[0][1].lower() if found else ""


def commands(query: str) -> list[list[tuple[str, str]]]:
    split: list[list[tuple[str, str]]] = [[]]
    for token in tokens(query):
        if token == ("operator", "|"):
            split.append([])
        else:
            split[-1].append(token)
    return [c for c in split if c]


def logs_insights_fields(query: str) -> set[str]:
    """Every log field the query reads: names (dotted for nested JSON, @-prefixed for the
    built-ins) that are neither keywords, functions, command names, nor aliases it defines
    with `as` (parse's `as a, b` included). SOURCE's log group is not a field."""
    parsed = commands(query)
    aliases: set[str] = set()
    for command in parsed:
        verb = command[0][1].lower()
        for index, (kind, text) in enumerate(command):
            if text.lower() != "as" or kind != "name":
                continue
            if verb == "parse":
                aliases |= {unquote(k, t) for k, t in command[index + 1:] if k in {"name", "backquoted"}}
            elif index + 1 < len(command):
                aliases.add(unquote(*command[index + 1]))

    fields: set[str] = set()
    for command in parsed:
        verb = command[0][1].lower()
        if verb == "source":
            continue
        for index, (kind, text) in enumerate(command[1:], start=1):
            if kind not in {"name", "backquoted"}:
                continue
            following = command[index + 1][1] if index + 1 < len(command) else ""
            if kind == "name" and (text.lower() in KEYWORDS or following == "("):
                continue
            name = unquote(kind, text)
            if name not in aliases:
                fields.add(name)
    return fields


def unquote(kind: str, text: str) -> str:
    return text[1:-1] if kind == "backquoted" else text


def flattened_fields(record: dict, prefix: str = "") -> set[str]:
    """The dotted names Logs Insights gives a JSON log event's fields ("record.metrics.x")."""
    names: set[str] = set()
    for key, value in record.items():
        name = f"{prefix}{key}"
        names.add(name)
        if isinstance(value, dict):
            names |= flattened_fields(value, f"{name}.")
    return names
