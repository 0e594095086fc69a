#!/usr/bin/env python3
"""Writes the hand-made result documents the report tests read.

Run it again only to change them; the JSON files are committed. They follow
docs/result-format.md (schema version 1) and model the seed experiment:
1000 requests/s against a service, 2 s of latency on its Redis calls from
10 s to 30 s, the hypothesis "the service->cache call is capped at 40 ms".
"""
import json
import math
import random

rng = random.Random(5)
START = "2026-11-27T00:29:09.123Z"


def stamp(t_ms):
    seconds = 9.123 + t_ms / 1000
    minutes = 29 + int(seconds // 60)
    return "2026-11-27T00:%02d:%06.3fZ" % (minutes, seconds % 60)


def window(t_ms, p50, p99, mx, rate=1000.0, errors=0, late=0):
    jitter = lambda v: round(v * rng.uniform(0.93, 1.07), 3)
    p50, p99, mx = jitter(p50), jitter(p99), jitter(mx)
    mx = max(mx, p99)
    return {"t_ms": t_ms, "requests": int(rate), "errors": errors, "late": late, "rate": round(rate, 1),
            "latency_ms": {"p50": p50, "p90": round((p50 + p99) / 2, 3), "p99": p99, "max": mx}}


def load_summary(windows, errors_by_class, p):
    requests = sum(w["requests"] for w in windows)
    errors = sum(w["errors"] for w in windows)
    late = sum(w["late"] for w in windows)
    return {"url": "http://127.0.0.1:8080/item/1", "method": "GET", "mode": "open_loop", "connections": 2500,
            "started": START, "duration_ms": 40000.0, "rate_target": 1000.0,
            "rate_achieved": round(requests / (len(windows) or 1), 2), "scheduled": 40000, "requests": requests,
            "sent": requests, "late": late, "late_ratio": round(late / max(requests, 1), 4),
            "errors": dict({"total": errors, "ratio": round(errors / max(requests, 1), 5)}, **errors_by_class),
            "latency_ms": p, "service_time_ms": {k: round(v * 0.97, 3) for k, v in p.items()},
            "window_ms": 1000.0, "series": []}


def fault(name="cache-latency", attack="latency", applied=10012, verified=10310, rolled_back=30004,
          verification="PING to 127.0.0.1:6379: 0.05 ms before, 2001.3 ms during", error=None,
          planned=(10000, 30000)):
    return {"name": name, "id": "%s-1a2b3c4d" % attack, "attack": attack,
            "params": {"host": ["127.0.0.1"], "port": "6379", "delay": "2s"},
            "planned_start_ms": planned[0], "planned_end_ms": planned[1], "applied_ms": applied,
            "verified_ms": verified, "rolled_back_ms": rolled_back, "verified": verified is not None,
            "verification": verification,
            "applied": ["table inet faultline_latency_1a2b3c4d: tcp to 127.0.0.1:6379 queued to engine 0"]
            if applied is not None else [], "error": error}


def hypothesis(name, metric, threshold, unit, text, measured, measured_text, verdict, failed=0, evaluated=20,
               worst=12000, phase="during", bound="below"):
    return {"name": name, "metric": metric, "phase": phase, "bound": bound, "threshold": threshold, "unit": unit,
            "threshold_text": text, "measured": measured, "measured_text": measured_text, "verdict": verdict,
            "windows_evaluated": evaluated, "windows_failed": failed, "worst_t_ms": worst}


def timeline(events):
    return [dict({"t_ms": t, "time": stamp(t), "event": e, "detail": d}, **({"fault": f} if f else {}))
            for t, e, f, d in events]


def experiment(title, description):
    return {"title": title, "description": description, "file": "examples/redis-timeout.yaml"}


PHASES = [{"name": "before", "start_ms": 0, "end_ms": 10000},
          {"name": "during", "start_ms": 10000, "end_ms": 30000},
          {"name": "after", "start_ms": 30000, "end_ms": 40000}]
STANDARD_EVENTS = [(0, "phase", None, "before"),
                   (10012, "fault_applied", "cache-latency", "latency 2s on tcp 127.0.0.1:6379"),
                   (10310, "fault_verified", "cache-latency", "PING 0.05 ms before, 2001.3 ms during"),
                   (10310, "phase", None, "during"),
                   (30004, "fault_rolled_back", "cache-latency", "table removed, engine stopped"),
                   (30004, "phase", None, "after"),
                   (40333, "end", None, "")]


def run(during_client, during_redis, verdict, hypotheses, title):
    windows, points = [], []
    for s in range(40):
        t = s * 1000
        if 10 <= s < 30:
            p50, p99, mx, rate, errors = during_client
            windows.append(window(t, p50, p99, mx, rate=rate * rng.uniform(0.97, 1.0), errors=errors))
        else:
            windows.append(window(t, 1.1, 3.2, 7.5))
        for half in (0, 500):
            value = during_redis if 10.3 <= (t + half) / 1000 < 30 else 0.3
            points.append({"t_ms": t + half, "value": round(value * rng.uniform(0.9, 1.05), 3)})
    worst = max(w["latency_ms"]["p99"] for w in windows)
    return {
        "schema_version": 1, "faultline_version": "0.1.0",
        "experiment": experiment(title, "1000 requests/s against the item service while its Redis calls get 2 s "
                                        "of extra latency. The service->cache call must time out at 40 ms."),
        "verdict": verdict, "exit_code": 0 if verdict == "pass" else 1, "abort_reason": None,
        "started": START, "ended": stamp(40333), "duration_ms": 40333, "phases": PHASES,
        "faults": [fault()], "timeline": timeline(STANDARD_EVENTS),
        "series": {"window_ms": 1000, "windows": windows,
                   "metrics": [{"name": "prometheus:http://127.0.0.1:8080/metrics#redis_call_seconds_max",
                                "unit": "ms", "points": points}]},
        "hypotheses": hypotheses(worst),
        "load": load_summary(windows, {"connect": 0, "timeout": sum(w["errors"] for w in windows), "reset": 0,
                                       "protocol": 0, "http_4xx": 0, "http_5xx": 0, "unsent": 0},
                             {"min": 0.4, "mean": 700.0, "p50": 1.4, "p90": 2001.0, "p99": worst, "p999": worst,
                              "max": worst + 9}),
    }


def fail_hypotheses(worst):
    return [hypothesis("client p99 under 60ms during the attack", "load.latency.p99", 60, "ms", "60ms", worst,
                       "%.3fs" % (worst / 1000), "fail", failed=20),
            hypothesis("service->redis call capped at its 45ms timeout",
                       "prometheus:http://127.0.0.1:8080/metrics#redis_call_seconds_max", 45, "ms", "45ms", 2003.9,
                       "2.004s", "fail", failed=20, worst=21000),
            hypothesis("errors under 0.1% during the attack", "load.errors.ratio", 0.001, "ratio", "0.1%", 0.0,
                       "0%", "pass")]


def pass_hypotheses(worst):
    return [hypothesis("client p99 under 60ms during the attack", "load.latency.p99", 60, "ms", "60ms", 48.7,
                       "48.7ms", "pass"),
            hypothesis("service->redis call capped at its 45ms timeout",
                       "prometheus:http://127.0.0.1:8080/metrics#redis_call_seconds_max", 45, "ms", "45ms", 40.6,
                       "40.6ms", "pass", worst=17000),
            hypothesis("errors under 0.1% during the attack", "load.errors.ratio", 0.001, "ratio", "0.1%", 0.0,
                       "0%", "pass"),
            hypothesis("p99 back under 10ms after", "load.latency.p99", 10, "ms", "10ms", 3.4, "3.4ms", "pass",
                       phase="after", evaluated=10, worst=33000)]


def aborted():
    windows = [window(s * 1000, 1.1, 3.2, 7.5) for s in range(10)]
    for s in range(10, 13):
        windows.append({"t_ms": s * 1000, "requests": 1000, "errors": 1000, "late": 0, "rate": 1000.0,
                        "latency_ms": {"p50": None, "p90": None, "p99": None, "max": None}})
    return {
        "schema_version": 1, "faultline_version": "0.1.0",
        "experiment": {"title": "API survives a Redis blackhole", "description": "Drop every packet to Redis."},
        "verdict": "aborted", "exit_code": 3,
        "abort_reason": "stop condition: load.errors.ratio above 50% for 3s",
        "reaction_ms": 212.4,
        "stop_conditions": [{"name": "error storm", "metric": "load.errors.ratio", "bound": "above", "threshold": 0.5,
                             "threshold_text": "50%", "for_ms": 3000}],
        "started": START, "ended": stamp(13500), "duration_ms": 13500,
        "phases": [{"name": "before", "start_ms": 0, "end_ms": 10000},
                   {"name": "during", "start_ms": 10000, "end_ms": 13200}],
        "faults": [fault("cache-blackhole", "blackhole", 10004, 10100, 13210,
                         "TCP connect to 127.0.0.1:6379: 0.04 ms before, timeout during", planned=(10000, 30000)),
                   fault("second-wave", "latency", None, None, None, None, planned=(20000, 30000))],
        "timeline": timeline([(0, "phase", None, "before"),
                              (10004, "fault_applied", "cache-blackhole", "drop tcp to 127.0.0.1:6379"),
                              (10100, "fault_verified", "cache-blackhole", "connect timeout"),
                              (13000, "stop_condition", None, "load.errors.ratio above 50% for 3s (100%)"),
                              (13210, "fault_rolled_back", "cache-blackhole", "table removed"),
                              (13500, "end", None, "aborted")]),
        "series": {"window_ms": 1000, "windows": windows},
        "hypotheses": [hypothesis("errors under 1% during the attack", "load.errors.ratio", 0.01, "ratio", "1%", 1.0,
                                  "100%", "fail", failed=3, evaluated=3, worst=10000),
                       hypothesis("p99 back under 10ms after", "load.latency.p99", 10, "ms", "10ms", None, None,
                                  "no-data", evaluated=0, worst=None, phase="after")],
        "load": None,
    }


MINIMAL = {"schema_version": 1, "verdict": "error", "experiment": {"title": "Minimal: a fault that never applied"},
           "faults": [{"name": "cpu-1", "attack": "cpu", "applied_ms": None, "verified": False,
                       "error": "cpu: cannot write /sys/fs/cgroup/faultline/cpu.max: Permission denied"}]}

HOSTILE = {
    "schema_version": 1, "verdict": "fail",
    "experiment": {"title": "</script><img src=x onerror=alert(1)>",
                   "description": "<script>alert(2)</script> & \"quotes\" 'single'",
                   "file": "x\"><svg onload=alert(4)>.yaml"},
    "abort_reason": "<iframe src=javascript:alert(5)>",
    "started": "<b>never</b>", "duration_ms": 2000,
    "faults": [{"name": "\"><svg onload=alert(3)>", "attack": "latency<br>", "applied_ms": 100,
                "verified_ms": 200, "rolled_back_ms": 1900, "verified": True,
                "verification": "ctl\u0001char ]]> <!-- -->", "params": {"<k>": "<v>", "list": ["a&b", "</code>"]},
                "applied": ["<script>op</script>"], "error": None}],
    "timeline": [{"t_ms": 100, "event": "fault_applied<script>", "fault": "\"><svg onload=alert(3)>",
                  "detail": "<b>bold</b>"}],
    "series": {"window_ms": 1000, "windows": [window(0, 1, 2, 3), window(1000, 1, 2, 3)],
               "metrics": [{"name": "<svg/onload=alert(6)>", "unit": "<u>", "points": [{"t_ms": 0, "value": 1}]}]},
    "hypotheses": [{"name": "<img src=x onerror=alert(7)> & ]]>", "metric": "<svg/onload=alert(6)>",
                    "phase": "<p>", "bound": "below", "threshold": 1, "unit": "<u>", "threshold_text": "<1>",
                    "measured": 2, "measured_text": "<i>2</i>", "verdict": "fail", "windows_evaluated": 1,
                    "windows_failed": 1, "worst_t_ms": 0}],
    "load": None,
}


def write(name, doc):
    with open(name, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


write("pass.json", run((42.0, 48.7, 55.0, 1000.0, 0), 40.2, "pass", pass_hypotheses,
                       "Service->Redis timeout holds under 2 s dependency latency"))
write("fail.json", run((2001.0, 2003.1, 2010.0, 1000.0, 0), 2001.5, "fail", fail_hypotheses,
                       "Service->Redis timeout holds under 2 s dependency latency"))
write("aborted.json", aborted())
write("minimal.json", MINIMAL)
write("hostile.json", HOSTILE)
