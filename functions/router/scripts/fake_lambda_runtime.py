"""A stand-in for the AWS Lambda Runtime API, enough for one smoke run of
the real Lambda binary: it hands out the given event files one by one
(GET .../invocation/next), records each response (POST .../response or
.../error), writes them as JSON to OUT, and exits once all are answered.

usage: fake_lambda_runtime.py PORT OUT EVENT.json...
"""
import http.server
import json
import sys
import threading

port, out, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
events = [open(p, encoding="utf-8").read() for p in paths]
answers = {}
done = threading.Event()


class Runtime(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.endswith("/runtime/invocation/next") or not events:
            done.wait(30)  # nothing left to hand out: hold the poll until we stop
            self.send_response(503)
            self.end_headers()
            return
        index = len(paths) - len(events)
        body = events.pop(0).encode()
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", f"req-{index}")
        self.send_header("Lambda-Runtime-Deadline-Ms", "9999999999999")
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-central-1:123456789012:function:router")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        parts = self.path.strip("/").split("/")  # 2018-06-01/runtime/invocation/ID/response
        answers[parts[3]] = {"event": paths[int(parts[3].split("-")[1])], "kind": parts[4], "body": json.loads(body or "null")}
        self.send_response(202)
        self.end_headers()
        if len(answers) == len(paths):
            with open(out, "w", encoding="utf-8") as f:
                json.dump([answers[k] for k in sorted(answers)], f, indent=2)
            done.set()


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Runtime)
threading.Thread(target=server.serve_forever, daemon=True).start()
done.wait(120)
sys.exit(0 if done.is_set() else 1)
