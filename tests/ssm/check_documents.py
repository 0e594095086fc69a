"""Checks `faultline ssm documents` (YAML and JSON) and every parameter's
allowedPattern/allowedValues against hostile values and against faultline's
own validation (`faultline attack <kind> ... --dry-run`)."""
import json, os, re, subprocess, sys, tempfile
import yaml

FL = sys.argv[1]
fails = []

def fail(msg):
    fails.append(msg)
    print("FAIL:", msg)

tmp = tempfile.mkdtemp(prefix="fl-ssm-")
docs = {}
for fmt in ("yaml", "json"):
    for install in ([], ["--install"]):
        out = os.path.join(tmp, fmt + ("-i" if install else ""))
        subprocess.run([FL, "ssm", "documents", "--out", out, "--format", fmt] + install, check=True,
                       stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name)) as f:
                d = yaml.safe_load(f) if fmt == "yaml" else json.load(f)
            docs[(fmt, bool(install), name.rsplit(".", 1)[0].removeprefix("faultline-"))] = d
kinds = sorted({k for (_, _, k) in docs})
kinds_cli = [a["name"] for a in json.loads(subprocess.run([FL, "attacks", "--json"], check=True,
                                                           capture_output=True).stdout)["attacks"]]
if len(kinds) != len(kinds_cli):
    fail(f"documents for {len(kinds)} kinds, catalog has {len(kinds_cli)}")
for (fmt, inst, k), d in docs.items():
    if d.get("schemaVersion") != "2.2":
        fail(f"{fmt} {k}: schemaVersion {d.get('schemaVersion')!r}")
    if d != docs[("json", inst, k)]:
        fail(f"{k}: YAML and JSON differ")
    steps = d["mainSteps"]
    if [s["name"] for s in steps] != (["InstallFaultline", "FaultInjection"] if inst else ["FaultInjection"]):
        fail(f"{k}: steps {[s['name'] for s in steps]}")
    for s in steps:
        if s["action"] != "aws:runShellScript":
            fail(f"{k}: action {s['action']}")
    for pname, p in d["parameters"].items():
        if p["type"] != "String" or not ("allowedPattern" in p or "allowedValues" in p):
            fail(f"{k}.{pname}: untyped or unconstrained")
        # every use of the parameter in a script is inside single quotes
        for s in steps:
            for line in s["inputs"]["runCommand"]:
                for m in re.finditer(r"\{\{ *" + pname + r" *\}\}", line):
                    if line[m.start() - 1] != "'" or line[m.end()] != "'":
                        fail(f"{k}.{pname}: used unquoted in {line!r}")
print(f"{len(docs)} documents ({len(kinds)} kinds x yaml/json x with/without install) parse, schemaVersion 2.2")

HOSTILE = [";", "a;reboot", "$(id)", "a$(id)", "`id`", "a|b", "a&&b", "a||b", "a&", "a\nb", "a\rb", "'", "a'b",
           '"', 'a"b', "a b", "a\tb", ">x", "<x", "a>b", "\\", "a\\b", "*", "~", "!", "#x", "{a,b}", "$HOME",
           "${IFS}", "{{ssm:/db/password}}", "{{resolve:ssm:x}}", "../etc", "/tmp/../etc", "/..", "a\x00b", "", " "]
# regular expressions legitimately contain | ( ) * ? { } and the anchors ^ $
REGEX_OK = {"a|b", "a||b", "*", "../etc", "/tmp/../etc", "/.."}  # not paths here
n_checked = n_rejected = 0
d0 = {k: docs[("json", True, k)] for k in kinds}
for k in kinds:
    for pname, p in d0[k]["parameters"].items():
        allowed = p.get("allowedValues")
        pat = p.get("allowedPattern")
        is_regex = "regex" in p["description"]
        for v in HOSTILE:
            if v == "" and (pat is None or re.search(pat, "")):
                continue  # empty = not given, for optional parameters
            if is_regex and v in REGEX_OK:
                continue
            n_checked += 1
            ok = (v in allowed) if allowed is not None else re.search(pat, v) is not None
            if ok:
                fail(f"{k}.{pname}: accepts hostile {v!r}")
            else:
                n_rejected += 1
        if k == "latency" and pname == "DurationSeconds":
            for v, want in [("1", True), ("30", True), ("43200", True), ("43201", False), ("0", False),
                            ("99999", False), ("30s", False), ("-1", False), ("1.5", False)]:
                if (re.search(pat, v) is not None) != want:
                    fail(f"DurationSeconds {v!r}: pattern says {not want}")
print(f"{n_rejected}/{n_checked} hostile (parameter, value) pairs rejected")

# pattern vs faultline's own validation: the pattern accepts a value iff
# `faultline attack --dry-run` does (for values valid on this host)
sleeper = subprocess.Popen(["sleep", "60"])
pid = str(sleeper.pid)
BASE = {"latency": ["--delay", "1ms"], "packet-loss": ["--percent", "1%"], "bandwidth": ["--rate", "1mbit"],
        "disk-fill": ["--path", "/tmp", "--size", "1M"], "io-stress": ["--path", "/tmp"],
        "process-kill": ["--pid", pid], "process-pause": ["--pid", pid], "memory": ["--size", "4M"]}
TABLE = {
    ("latency", "delay"): ["1ms", "2s", "500us", "1m", "1.5ms", "1m30s", "2", "ms", "1x", "2 s", "1e3ms"],
    ("latency", "jitter"): ["0us", "10ms", "1s", "-1ms", "10"],
    ("latency", "host"): ["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8", "localhost", "127.0.0.1;id",
                          "$(id)", "a b"],
    ("latency", "port"): ["80", "6379", "1000-2000", "x", "80;id"],
    ("latency", "exclude-port"): ["22", "1-1024"],
    ("latency", "interface"): ["lo", "lo;id", "$(id)"],
    ("packet-loss", "percent"): ["1%", "50%", "100%", "7", "0.5%", "101%", "1%%", "-1%", "abc"],
    ("bandwidth", "rate"): ["1mbit", "512kbit", "100kbps", "1MBIT", "10gbit", "1mb", "fast", "1 mbit"],
    ("cpu", "load"): ["80%", "100%", "1%", "55", "150%", "80%;id"],
    ("cpu", "workers"): ["1", "0", "4", "-1", "x", "1.5"],
    ("cpu", "cpus"): ["0", "0-1", "0,1", "0-", "a", ",0", "0;1"],
    ("memory", "size"): ["4M", "64M", "1G", "4096K", "100KiB", "1MB", "4Q", "M", "4M;id"],
    ("memory", "reserve"): ["5%", "1G", "512M", "abc"],
    ("disk-fill", "path"): ["/tmp", "/tmp/", "/", "tmp", "/tmp;id", "/tmp/$(id)", "/tmp dir"],
    ("io-stress", "mode"): ["read", "write", "mixed", "READ", "erase"],
    ("io-stress", "block"): ["4K", "1M", "64M"],
    ("process-kill", "signal"): ["SIGTERM", "TERM", "KILL", "9", "15", "SIGFOO", "sigterm;id", "sigkill", "0", "65"],
    ("process-kill", "count"): ["0", "1", "100", "x"],
    ("dns", "domain"): ["example.com", "redis.internal", "a-b.c_d", ".bad", "a;b", "exa mple.com"],
    ("dns", "mode"): ["drop", "refuse", "deny"],
}
n_table = n_range = 0
for (kind, param), values in TABLE.items():
    spec = d0[kind]["parameters"]
    sname = "".join(w.capitalize() for w in param.split("-"))
    p = spec[sname]
    for v in values:
        n_table += 1
        if "allowedValues" in p:
            doc_ok = v in p["allowedValues"]
        else:
            doc_ok = re.search(p["allowedPattern"], v) is not None
        base = BASE.get(kind, [])
        if f"--{param}" in base:
            i = base.index(f"--{param}")
            base = base[:i] + base[i + 2:]
        args = [FL, "attack", kind] + base + [f"--{param}", v]
        if kind != "process-kill":
            args += ["--duration", "1s"]
        r = subprocess.run(args + ["--dry-run"], capture_output=True)
        fl_ok = r.returncode == 0
        if doc_ok and not fl_ok and re.search(rb"(maximum|minimum|more than)", r.stderr):
            n_range += 1  # grammar fine, out of range: faultline's check (client and instance)
            continue
        if doc_ok != fl_ok:
            fail(f"{kind} --{param} {v!r}: document {'accepts' if doc_ok else 'rejects'}, faultline exit "
                 f"{r.returncode} {r.stderr.decode().strip()}")
sleeper.kill()
print(f"{n_table} values: document patterns agree with faultline attack --dry-run "
      f"({n_range} in the grammar but out of range, refused by faultline itself)")

# run the FaultInjection script as SSM would (textual {{ }} substitution) with
# a stub faultline that records its argv: each value arrives as one argument
stub = os.path.join(tmp, "bin")
os.makedirs(stub, exist_ok=True)
with open(os.path.join(stub, "faultline"), "w") as f:
    f.write("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n")
os.chmod(os.path.join(stub, "faultline"), 0o755)
def run_doc(kind, values):
    d = d0[kind]
    params = {n: p.get("default", "") for n, p in d["parameters"].items()}
    params.update(values)
    script = "\n".join(d["mainSteps"][-1]["inputs"]["runCommand"])
    script = re.sub(r"\{\{ *(\w+) *\}\}", lambda m: params[m.group(1)], script)
    r = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                       env={"PATH": stub + ":/usr/bin:/bin"})
    return r.stdout.splitlines()
got = run_doc("latency", {"Host": "127.0.0.1,::1,10.0.0.0/8", "Delay": "2s", "Port": "6379",
                          "IncludeController": "true", "DurationSeconds": "30", "FaultlineTag": "ssm-00ff00ff00ff00ff"})
want = ["attack", "latency", "--host", "127.0.0.1", "--host", "::1", "--host", "10.0.0.0/8", "--port", "6379",
        "--protocol", "all", "--direction", "egress", "--include-controller", "--verify", "probe", "--delay", "2s",
        "--jitter", "0us", "--distribution", "normal", "--correlation", "0%", "--max-held-bytes", "64M",
        "--duration", "30s", "--tag", "ssm-00ff00ff00ff00ff"]
if got != want:
    fail(f"latency script argv {got}")
got = run_doc("process-kill", {"Pattern": "^(nginx|redis).*$", "Signal": "KILL"})
if got[:2] != ["attack", "process-kill"] or "^(nginx|redis).*$" not in got or "--duration" in got:
    fail(f"process-kill script argv {got}")
print("scripts pass each value as one argument (stub faultline)")
sys.exit(1 if fails else 0)
