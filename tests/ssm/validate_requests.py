"""Validates every request body in a listener log against the SSM API model
shipped by Debian's python3-botocore (service-2.json): the operation's input
shape, recursively: required members, unknown members, types, enums,
patterns, min/max lengths and values; with ACCESS_KEY=SECRET arguments, also
recomputes each request's SigV4 signature. Usage: validate_requests.py LOG
[AKID=SECRET...]"""
import glob, json, re, sys

paths = sorted(glob.glob("/usr/lib/python3/dist-packages/botocore/data/ssm/*/service-2.json"))
if not paths:
    print("no botocore SSM model (apt-get install python3-botocore)")
    sys.exit(77)
model = json.load(open(paths[-1]))
shapes, ops = model["shapes"], model["operations"]
# known test secrets by access key id: the SigV4 signature is recomputed
SECRETS = dict(a.split("=", 1) for a in sys.argv[2:])
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

def check_sigv4(req, errs):
    """Recomputes the SigV4 signature as AWS does, from the headers the
    request lists as signed; the operation and content type must be signed."""
    import hashlib, hmac
    auth = req["authorization"]
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/ssm/aws4_request, *"
                 r"SignedHeaders=([^,]+), *Signature=([0-9a-f]{64})$", auth)
    if not m:
        return errs.append(f"Authorization is not SigV4 for ssm: {auth[:80]!r}")
    ak, day, region, signed, sig = m.groups()
    if ak not in SECRETS:
        return errs.append(f"unknown access key {ak}")
    headers = {}
    for k, v in req.get("headers", []):
        headers.setdefault(k, []).append(" ".join(v.split()))
    names = signed.split(";")
    for must in ("host", "x-amz-date", "x-amz-target", "content-type"):
        if must not in names:
            errs.append(f"{must} is not signed ({signed})")
    if names != sorted(names):
        errs.append(f"SignedHeaders not sorted: {signed}")
    canon = "".join(f"{n}:{','.join(headers.get(n, []))}\n" for n in names)
    body = req["body"].encode()
    creq = "\n".join([req.get("method", "POST"), req.get("path", "/"), "", canon, signed,
                      hashlib.sha256(body).hexdigest()])
    amz_date = ",".join(headers.get("x-amz-date", [""]))
    scope = f"{day}/{region}/ssm/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SECRETS[ak]).encode()
    for part in (day, region, "ssm", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if want != sig:
        errs.append("SigV4 signature does not verify")
    return None

n, bad, by_op, n_signed = 0, 0, {}, 0
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
    if SECRETS:
        e0 = len(errs)
        check_sigv4(req, errs)
        n_signed += len(errs) == e0
    elif not req["authorization"].startswith("AWS4-HMAC-SHA256 Credential=") or "/ssm/aws4_request" not in req["authorization"]:
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
if SECRETS:
    print(f"{n_signed}/{n} SigV4 signatures verify (recomputed from the signed headers and body)")
print(f"{n - bad}/{n} requests valid against {paths[-1].split('/data/')[1]} ({', '.join(f'{k} {v}' for k, v in sorted(by_op.items()))})")
sys.exit(1 if bad or not n else 0)
