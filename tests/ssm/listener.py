"""A fake SSM endpoint on 127.0.0.1 for the tests: records every request
(headers and JSON body) as one JSON line in LOG, and answers with canned
replies so that polling progresses. Usage: listener.py PORTFILE LOG [POLLS [fail|alarm]]
(POLLS: ListCommandInvocations calls before the invocations succeed; 0 =
never; fail: the second instance and the command end Failed; alarm: SSM's
alarm api-5xx-rate fires, the command and its invocations end Cancelled and
ListCommands reports the alarm in TriggeredAlarms). Prints nothing; writes
the chosen port to PORTFILE.

Environment (for the retry tests):
  FL_SSM_FAULTS="OP:N:HTTP:TYPE,..."  the first N requests of operation OP
      (N = "*": all of them) get HTTP status HTTP with
      {"__type": TYPE, "message": ...}, e.g. SendCommand:3:400:ThrottlingException
      or SendCommand:*:400:ValidationException; HTTP 0 closes the connection
      without an answer (the request was received: a lost reply). Each log
      line has the status it was answered with ("status").
  FL_SSM_ALARM=NAME  ListCommands reports alarm NAME as triggered
      (Command.TriggeredAlarms) once the command is over (with mode alarm:
      the alarm's name).
  FL_SSM_NO_INSTANCES=1  no instance matches the targets: no invocation
      is ever listed, and the command ends with Success."""
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, log = sys.argv[1], sys.argv[2]
polls = int(sys.argv[3]) if len(sys.argv) > 3 else 2
mode = sys.argv[4] if len(sys.argv) > 4 else ""
failing = mode == "fail"  # the second instance fails
alarmed = mode == "alarm"  # SSM's alarm stops the command
lock = threading.Lock()
state = {"list": 0, "n": 0, "seen": {}}
FAULTS = {}
for spec in filter(None, os.environ.get("FL_SSM_FAULTS", "").split(",")):
    op, n, code, typ = spec.split(":", 3)
    FAULTS[op] = (None if n == "*" else int(n), int(code), typ)
ALARM = os.environ.get("FL_SSM_ALARM", "") or ("api-5xx-rate" if alarmed else "")
END = "Failed" if failing else "Cancelled" if alarmed else "Success"  # the command's final status
NO_INSTANCES = os.environ.get("FL_SSM_NO_INSTANCES") == "1"
MESSAGES = {"ThrottlingException": "Rate exceeded"}
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
            code, reply = self.answer(op, body)
            with open(log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": [[k.lower(), v] for k, v in self.headers.items()],
                                    "target": target, "content_type": self.headers.get("Content-Type"),
                                    "authorization": self.headers.get("Authorization", ""),
                                    "amz_date": self.headers.get("X-Amz-Date", ""),
                                    "body": body.decode(), "status": code}) + "\n")
        if code == 0:  # the reply is lost
            self.close_connection = True
            return
        data = json.dumps(reply).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self, op, body):
        """(HTTP status, reply) for one request; called with the lock held."""
        seen = state["seen"][op] = state["seen"].get(op, 0) + 1
        if op in FAULTS:
            n, code, typ = FAULTS[op]
            if n is None or seen <= n:
                return code, {"__type": typ, "message": MESSAGES.get(typ, "injected by listener.py")}
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
                 "Status": ("Failed" if failing and page else "Cancelled" if alarmed else "Success")
                 if done else "InProgress"}]}
            if page == 0:
                reply["NextToken"] = "page-2"
            if NO_INSTANCES:
                reply = {"CommandInvocations": []}
        elif op == "ListCommands":
            done = polls and state["list"] > polls
            req = json.loads(body)
            reply = {"Commands": [{"CommandId": req["CommandId"],
                                   "Status": END if done else "InProgress"}]}
            if ALARM and done:
                reply["Commands"][0]["TriggeredAlarms"] = [{"Name": ALARM, "State": "ALARM"}]
        elif op == "GetCommandInvocation":
            req = json.loads(body)
            reply = {"CommandId": req["CommandId"], "InstanceId": req["InstanceId"], "Status": "Success",
                     "ResponseCode": 0, "StandardOutputContent": "fault ended\n", "StandardErrorContent": ""}
        elif op == "CancelCommand":
            reply = {}
        else:
            return 400, {"__type": "UnknownOperationException"}
        return 200, reply

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
