#!/usr/bin/env python3
"""Writes docs/attacks.md from `faultline attacks --json`, so the catalog
document always lists every attack and parameter the binary accepts.
Usage: scripts/gen-attacks-doc.py path/to/faultline > docs/attacks.md"""
import json
import subprocess
import sys

catalog = json.loads(subprocess.run([sys.argv[1], "attacks", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
out = ["# The attack catalog", "",
       "Generated from `faultline attacks --json` by `scripts/gen-attacks-doc.py`;",
       "`tests/integration/docs_in_sync.sh` fails when it is stale. Units: durations",
       "`500us 40ms 2s 1m 1h`, sizes `512K 64M 2G` (powers of 1024), percentages `80%`.",
       "Every held attack takes `--duration` (required, at most 12h) and the common",
       "options `--detach`, `--dry-run`, `--json` (see faultline(1)).", ""]
out.append("| attack | what it does |")
out.append("|---|---|")
for a in catalog["attacks"]:
    out.append(f"| [`{a['name']}`](#{a['name']}) | {a['summary']} |")
out.append("")
for a in catalog["attacks"]:
    out += [f"## {a['name']}", "", a["summary"][0].upper() + a["summary"][1:] + ".", "", a["details"], ""]
    if a["instant"]:
        out += ["Instantaneous: no `--duration`, nothing to undo.", ""]
    out += ["| parameter | type | default | range | |", "|---|---|---|---|---|"]
    for p in a["params"]:
        kind = p.get("choices", p["type"]) if p["type"] == "enum" else p["type"]
        flags = []
        if p["required"]:
            flags.append("required")
        if p["repeatable"]:
            flags.append("repeatable")
        rng = ""
        if "min" in p or "max" in p:
            rng = f"{p.get('min', '')}..{p.get('max', '')}"
        help_text = p["help"] + (f" ({', '.join(flags)})" if flags else "")
        kind = kind.replace("|", "\\|")
        out.append(f"| `--{p['name']}` | {kind} | {p.get('default', '')} | {rng} | {help_text} |")
    out += ["", f"The host needs: {a['requires']}.", ""]
print("\n".join(out))
