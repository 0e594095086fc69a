#!/usr/bin/env python3
"""Counts the heap allocations of C files by how their failure is handled
(docs/architecture.md, "the library's manners"):

  aborts     fl_xmalloc and its family: never NULL, abort with a message
  checked    a raw allocator call whose NULL result is tested (or whose
             failure is part of a test, as asprintf's return value)
  unchecked  a raw allocator call whose result is used without a test
             (returned to the caller counts as unchecked)

Raw calls are malloc, calloc, realloc, reallocarray, strdup, strndup,
asprintf, vasprintf and open_memstream. A call is "checked" when its result
(the left-hand side it is assigned to) is tested against NULL within the next
few lines; it is a heuristic, read the --list output before trusting a number.
Usage: scripts/alloc-census.py [--list unchecked|checked|raw|aborts|all]
                               [--max-unchecked N] [--max-raw N] [--exclude REGEX] file.c...
--max-unchecked N / --max-raw N: exit 1 when more than N calls are unchecked
/ raw (checked or not): --max-raw 0 is the library's policy."""
import importlib.util
import os
import re
import sys

_spec = importlib.util.spec_from_file_location(
    "function_lengths", os.path.join(os.path.dirname(os.path.abspath(__file__)), "function-lengths.py"))
_fl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fl)

RAW = r"malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf|open_memstream"
CALL = re.compile(r"(?<![\w.>])(" + RAW + r"|fl_x(?:malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf))\s*\(")
WINDOW = 15  # lines after the call where a test of its result counts


def statement_bounds(code, pos):
    """Start and end (exclusive) of the statement holding pos."""
    start = max(code.rfind(";", 0, pos), code.rfind("{", 0, pos), code.rfind("}", 0, pos)) + 1
    depth, i = 0, pos
    while i < len(code):
        c = code[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c in ";{" and depth <= 0:
            break
        i += 1
    return start, i


def target_of(stmt_before_call):
    """The expression the call's result is assigned to: `x`, `c->conns`,
    `*out`, `(*names)[*n]`; None if the result is not assigned."""
    m = re.search(r"([\w\->.\[\]*()]+?)\s*=\s*(\([\w\s*]+\)\s*)?$", stmt_before_call)
    if not m or stmt_before_call.rstrip().endswith(("==", "!=", "<=", ">=")):
        return None
    lhs = m.group(1).strip()
    if re.fullmatch(r"\*+\w+", lhs):
        # `char *out = ...` and `..., *out = ...` declare out; `*out = ...` stores through it
        if re.search(r"(\w|,)\s*$", stmt_before_call[: m.start(1)]):
            lhs = lhs.lstrip("*")
    return lhs or None


def tested(code_after, lhs):
    e = re.escape(lhs)
    not_member = r"(?!\s*(->|\[|\.|\())"
    pats = [
        r"!\s*" + e + r"\b" + not_member,
        r"!\s*\(\s*" + e + r"\s*\)",
        e + r"\s*[!=]=\s*NULL",
        r"\bif\s*\(\s*" + e + r"\s*\)",
        r"\bif\s*\(\s*" + e + r"\s*&&",
        r"(&&|\|\|)\s*" + e + r"\b" + not_member,
        r"(?<![\w>.])" + e + r"\s*\?",
        r"\b" + e + r"\s*!=\s*0\b",
    ]
    return any(re.search(p, code_after) for p in pats)


def classify(code, m):
    name = m.group(1)
    if name.startswith("fl_x"):
        return "aborts"
    start, end = statement_bounds(code, m.start())
    stmt = code[start:end]
    before = code[start:m.start()]
    # if (!(x = malloc(...))), if ((x = ...) == NULL), asprintf(...) < 0 in a condition
    if re.search(r"\b(if|while)\s*\(", before) or re.search(r"\)\s*(<\s*0|==\s*-1|==\s*NULL|!=\s*NULL)", code[m.end():end]):
        if re.search(r"\b(if|while)\s*\(\s*!?\s*\(*", before) and (
                re.search(r"!\s*\(*\s*[\w\->.\[\]*]+\s*=\s*$", before) or re.search(r"(<\s*0|==\s*-1|[!=]=\s*NULL)", stmt)):
            return "checked"
    if name in ("asprintf", "vasprintf"):
        return "checked" if re.search(r"<\s*0|==\s*-1|!=\s*-1|>=\s*0", stmt) else "unchecked"
    lhs = target_of(before)
    if lhs is None:
        return "unchecked"
    after_lines = code[m.start():].split("\n")
    return "checked" if tested("\n".join(after_lines[:WINDOW]), lhs) else "unchecked"


def census(path):
    code = _fl.blank_out(open(path, encoding="utf-8").read(), directives=False)
    for m in CALL.finditer(code):
        # the definitions of the family itself
        if re.search(r"\b(void|char)\s*\*\s*$", code[max(0, m.start() - 12):m.start()]):
            continue
        yield code.count("\n", 0, m.start()) + 1, m.group(1), classify(code, m)


def main(argv):
    show, limit, raw_limit, exclude, files = None, None, None, None, []
    args = iter(argv)
    for a in args:
        if a == "--list":
            show = next(args)
        elif a == "--max-unchecked":
            limit = int(next(args))
        elif a == "--max-raw":
            raw_limit = int(next(args))
        elif a == "--exclude":
            exclude = re.compile(next(args))
        else:
            files.append(a)
    totals = {"aborts": 0, "checked": 0, "unchecked": 0}
    for f in files:
        if (exclude and exclude.search(f)) or os.path.basename(f) == "xmalloc.c":  # the family itself
            continue
        for line, name, kind in census(f):
            totals[kind] += 1
            if show in (kind, "all") or (show == "raw" and kind != "aborts"):
                print(f"{f}:{line}: {name}: {kind}")
    n = sum(totals.values())
    pct = (lambda k: f"{100 * totals[k] / n:.0f}%") if n else (lambda k: "-")
    print(f"{n} allocations: {totals['aborts']} abort ({pct('aborts')}), {totals['checked']} checked "
          f"({pct('checked')}), {totals['unchecked']} unchecked ({pct('unchecked')})")
    if limit is not None and totals["unchecked"] > limit:
        return 1
    if raw_limit is not None and totals["checked"] + totals["unchecked"] > raw_limit:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
