"""A fake SSM endpoint on 127.0.0.1 for the tests: records every request
(headers and JSON body) as one JSON line in LOG, and answers with canned
replies so that polling progresses. Usage: listener.py PORTFILE LOG [POLLS [fail]]
(POLLS: ListCommandInvocations calls before the invocations succeed; 0 =
never). Prints nothing; writes the chosen port to PORTFILE."""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log = sys.argv[1], sys.argv[2]
polls = int(sys.argv[3]) if len(sys.argv) > 3 else 2
failing = len(sys.argv) > 4 and sys.argv[4] == "fail"  # the second instance fails
lock = threading.Lock()
state = {"list": 0, "n": 0}
INSTANCES = ["i-0123456789abcdef0", "i-0fedcba9876543210"]

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        op = target.split(".", 1)[-1]
        with lock:
            with open(log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": [[k.lower(), v] for k, v in self.headers.items()],
                                    "target": target, "content_type": self.headers.get("Content-Type"),
                                    "authorization": self.headers.get("Authorization", ""),
                                    "amz_date": self.headers.get("X-Amz-Date", ""),
                                    "body": body.decode()}) + "\n")
            state["n"] += 1
            if op == "SendCommand":
                reply = {"Command": {"CommandId": "0b5b4a4e-1234-4d5e-8f00-%012d" % state["n"], "Status": "Pending"}}
            elif op == "ListCommandInvocations":
                # one instance per page: the client must follow NextToken
                req = json.loads(body)
                page = 1 if req.get("NextToken") == "page-2" else 0
                if page == 0:
                    state["list"] += 1
                done = polls and state["list"] > polls
                reply = {"CommandInvocations": [
                    {"InstanceId": INSTANCES[page],
                     "Status": ("Failed" if failing and page else "Success") if done else "InProgress"}]}
                if page == 0:
                    reply["NextToken"] = "page-2"
            elif op == "ListCommands":
                done = polls and state["list"] > polls
                req = json.loads(body)
                reply = {"Commands": [{"CommandId": req["CommandId"],
                                       "Status": ("Failed" if failing else "Success") if done else "InProgress"}]}
            elif op == "GetCommandInvocation":
                req = json.loads(body)
                reply = {"CommandId": req["CommandId"], "InstanceId": req["InstanceId"], "Status": "Success",
                         "ResponseCode": 0, "StandardOutputContent": "", "StandardErrorContent": ""}
            elif op == "CancelCommand":
                reply = {}
            else:
                reply = None
        if reply is None:
            data, code = json.dumps({"__type": "UnknownOperationException"}).encode(), 400
        else:
            data, code = json.dumps(reply).encode(), 200
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
