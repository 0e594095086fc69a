#!/usr/bin/env python3
"""Lists the C functions of the given files by length, longest first: lines
from the first line of the definition to its closing brace. With --max N,
exits 1 if any is longer than N lines.
Usage: scripts/function-lengths.py [--max N] [--top K] file.c..."""
import re
import sys


def blank_out(text, directives=True):
    """Comments, string and character literals and (unless directives is
    False) preprocessor lines become spaces (newlines kept), so that braces
    are only code braces."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if directives and at_line_start and c == "#":  # a directive, with its continuations
            j = i
            while j < n and not (text[j] == "\n" and text[j - 1] != "\\"):
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j]) + c)
            i = j + 1
            continue
        out.append(c)
        if c == "\n":
            at_line_start = True
        elif not c.isspace():
            at_line_start = False
        i += 1
    return "".join(out)


def functions(path):
    code = blank_out(open(path, encoding="utf-8").read())
    depth, decl_start, start, last = 0, 0, None, ""
    for i, c in enumerate(code):
        if c == "{":
            if depth == 0 and last == ")":
                start = decl_start
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start is not None:
                    head = code[start:code.index("(", start)]
                    name = head.split()[-1].lstrip("*") if head.split() else "?"
                    first = code.count("\n", 0, start) + 1
                    yield name, first, code.count("\n", 0, i) + 1 - first + 1
                    start = None
                decl_start = i + 1
        elif c == ";" and depth == 0:
            decl_start = i + 1
        if not c.isspace():
            last = c
        if depth == 0 and c.isspace() and decl_start == i:
            decl_start = i + 1


def main(argv):
    limit, top, files = None, 10, []
    args = iter(argv)
    for a in args:
        if a == "--max":
            limit = int(next(args))
        elif a == "--top":
            top = int(next(args))
        else:
            files.append(a)
    found = sorted(((n, f, name, line) for f in files for name, line, n in functions(f)), reverse=True)
    for n, f, name, line in found[:top]:
        print(f"{n:5d} {f}:{line} {name}")
    over = [x for x in found if limit is not None and x[0] > limit]
    if over:
        print(f"{len(over)} function(s) over {limit} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
