"""Validates every request body in a listener log against the SSM API model
shipped by Debian's python3-botocore (service-2.json): the operation's input
shape, recursively: required members, unknown members, types, enums,
patterns, min/max lengths and values. Usage: validate_requests.py LOG"""
import glob, json, re, sys

paths = sorted(glob.glob("/usr/lib/python3/dist-packages/botocore/data/ssm/*/service-2.json"))
if not paths:
    print("no botocore SSM model (apt-get install python3-botocore)")
    sys.exit(77)
model = json.load(open(paths[-1]))
shapes, ops = model["shapes"], model["operations"]
prefix = model["metadata"]["targetPrefix"]

def py_pattern(pattern):
    """The model's patterns are Java regexes; Python's re lacks \\p{..}. The
    only use is the class \\p{L}\\p{Z}\\p{N} (letters, separators, numbers),
    which is \\w\\s in Python (\\w adds '_', which those classes list anyway)."""
    return pattern.replace(r"\p{L}\p{Z}\p{N}", r"\w\s")

def check(value, shape_name, path, errs):
    s = shapes[shape_name]
    t = s["type"]
    if t == "structure":
        if not isinstance(value, dict):
            return errs.append(f"{path}: not an object")
        for r in s.get("required", []):
            if r not in value:
                errs.append(f"{path}.{r}: required member missing")
        for k, v in value.items():
            if k not in s["members"]:
                errs.append(f"{path}.{k}: not a member of {shape_name}")
            else:
                check(v, s["members"][k]["shape"], f"{path}.{k}", errs)
    elif t == "list":
        if not isinstance(value, list):
            return errs.append(f"{path}: not a list")
        if "min" in s and len(value) < s["min"]:
            errs.append(f"{path}: fewer than {s['min']} items")
        if "max" in s and len(value) > s["max"]:
            errs.append(f"{path}: more than {s['max']} items")
        for i, v in enumerate(value):
            check(v, s["member"]["shape"], f"{path}[{i}]", errs)
    elif t == "map":
        if not isinstance(value, dict):
            return errs.append(f"{path}: not a map")
        if "min" in s and len(value) < s["min"]:
            errs.append(f"{path}: fewer than {s['min']} entries")
        if "max" in s and len(value) > s["max"]:
            errs.append(f"{path}: more than {s['max']} entries")
        for k, v in value.items():
            check(k, s["key"]["shape"], f"{path}<key {k}>", errs)
            check(v, s["value"]["shape"], f"{path}[{k}]", errs)
    elif t == "string":
        if not isinstance(value, str):
            return errs.append(f"{path}: not a string")
        if "enum" in s and value not in s["enum"]:
            errs.append(f"{path}: {value!r} not in {s['enum']}")
        if "min" in s and len(value) < s["min"]:
            errs.append(f"{path}: shorter than {s['min']}")
        if "max" in s and len(value) > s["max"]:
            errs.append(f"{path}: longer than {s['max']}")
        if "pattern" in s and not re.search(py_pattern(s["pattern"]), value):
            errs.append(f"{path}: {value!r} does not match {s['pattern']}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return errs.append(f"{path}: not an integer")
        if "min" in s and value < s["min"]:
            errs.append(f"{path}: below {s['min']}")
        if "max" in s and value > s["max"]:
            errs.append(f"{path}: above {s['max']}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errs.append(f"{path}: not a boolean")
    else:
        errs.append(f"{path}: unchecked type {t}")

n, bad, by_op = 0, 0, {}
for line in open(sys.argv[1]):
    req = json.loads(line)
    errs = []
    tgt = req["target"]
    if not tgt.startswith(prefix + "."):
        errs.append(f"X-Amz-Target {tgt!r} is not {prefix}.<Operation>")
        op = None
    else:
        op = tgt[len(prefix) + 1:]
        if op not in ops:
            errs.append(f"unknown operation {op}")
    if req["content_type"] != "application/x-amz-json-1.1":
        errs.append(f"Content-Type {req['content_type']!r}")
    if not req["authorization"].startswith("AWS4-HMAC-SHA256 Credential=") or "/ssm/aws4_request" not in req["authorization"]:
        errs.append(f"not SigV4-signed for ssm: {req['authorization'][:60]!r}")
    if op in ops:
        check(json.loads(req["body"]), ops[op]["input"]["shape"], op, errs)
    n += 1
    by_op[op] = by_op.get(op, 0) + 1
    if errs:
        bad += 1
        print(f"INVALID {op}: {req['body']}")
        for e in errs:
            print("   ", e)
print(f"{n - bad}/{n} requests valid against {paths[-1].split('/data/')[1]} ({', '.join(f'{k} {v}' for k, v in sorted(by_op.items()))})")
sys.exit(1 if bad or not n else 0)
