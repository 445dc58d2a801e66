"""Cold start of the Lambda binary under cargo-lambda's Runtime API emulator:
the time from spawning the bootstrap to the answer of its first event (a
Function URL CORS preflight, which touches no store), N runs, each a new
process. With --store dynamodb (the default, what the binary needs on Lambda
since issue 11) it also starts moto's server and provisions a table, a queue,
an SES identity and the form secret as an SSM SecureString, so the start-up
includes reading the secret (--secret env: from the environment instead); --store maildir runs a binary from before then
(it accepted a mail directory on Lambda). Needs the peers' virtualenv:

    bash scripts/install-peers.sh
    target/peers-venv/bin/python benches/lambda-init.py [--runs 15] [--store maildir] BINARY

(PEERS_VENV names another virtualenv with the same peers.)
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(os.environ.get("PEERS_VENV", os.path.join(ROOT, "target", "peers-venv")), "bin")
ROUTER = os.path.join(ROOT, "functions", "router")
SECRET = "test-form-secret-0123456789"
REGION = "eu-west-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on port {port}")


def start(cmd, log):
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def provision(moto):
    """The template's resources in moto; the function's store variables."""
    import boto3  # in the peers' virtualenv (moto's dependency)

    kw = dict(
        endpoint_url=moto,
        region_name=REGION,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="test-secret",
    )
    boto3.client("dynamodb", **kw).create_table(
        TableName="bench",
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    queue = boto3.client("sqs", **kw).create_queue(QueueName="bench")["QueueUrl"]
    boto3.client("sesv2", **kw).create_email_identity(EmailIdentity="example.org")
    boto3.client("ssm", **kw).put_parameter(
        Name="/bench/form-secret", Type="SecureString", Value=SECRET
    )
    return {
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_SESSION_TOKEN": "test-session-token",
        "AWS_ENDPOINT_URL": moto,
        "SWITCHBOARD_STORE": "dynamodb",
        "SWITCHBOARD_TABLE": "bench",
        "SWITCHBOARD_QUEUE_URL": queue,
        "SWITCHBOARD_MAIL": "ses",
        "SWITCHBOARD_SENDER": "Example Org <forms@example.org>",
        "SWITCHBOARD_FORM_SECRET_PARAMETER": "/bench/form-secret",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--store", choices=["dynamodb", "maildir"], default="dynamodb")
    ap.add_argument("--secret", choices=["ssm", "env"], default="ssm",
                    help="with dynamodb: the form secret from SSM (as deployed) or SWITCHBOARD_FORM_SECRET")
    ap.add_argument("--manifest", default=os.path.join(ROUTER, "tests", "fixtures", "manifest.json"),
                    help="the routing manifest (an older binary may need its own tree's fixture)")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    work = tempfile.mkdtemp(prefix="switchboard-lambda-init.")
    peers = []
    try:
        api_port = free_port()
        peers.append(start(
            [os.path.join(VENV_BIN, "cargo-lambda"), "lambda", "watch", "--only-lambda-apis",
             "--ignore-changes", "-A", "127.0.0.1", "-P", str(api_port)],
            open(os.path.join(work, "emulator.log"), "w"),
        ))
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": "switchboard-form",
            "AWS_LAMBDA_FUNCTION_VERSION": "1",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{api_port}/.rt/switchboard-router",
            "SWITCHBOARD_MANIFEST": os.path.abspath(args.manifest),
            "SWITCHBOARD_OUTBOX_DIR": os.path.join(work, "outbox"),
        }
        if args.store == "dynamodb":
            moto_port = free_port()
            peers.append(start(
                [os.path.join(VENV_BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                open(os.path.join(work, "moto.log"), "w"),
            ))
            wait_port(moto_port)
            env.update(provision(f"http://127.0.0.1:{moto_port}"))
            if args.secret == "env":
                del env["SWITCHBOARD_FORM_SECRET_PARAMETER"]
                env["SWITCHBOARD_FORM_SECRET"] = SECRET
        else:
            env.update({"SWITCHBOARD_FORM_SECRET": SECRET,
                        "SWITCHBOARD_MAILDIR": os.path.join(work, "mail")})
        wait_port(api_port)
        event = open(os.path.join(ROUTER, "tests", "events", "function_url_preflight.json"), "rb").read()
        url = f"http://127.0.0.1:{api_port}/2015-03-31/functions/switchboard-router/invocations"
        times = []
        for _ in range(args.runs):
            log = open(os.path.join(work, "function.log"), "w")
            t0 = time.perf_counter()
            fn = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=event), timeout=10) as r:
                    answer = json.load(r)
                elapsed = time.perf_counter() - t0
            except OSError as e:
                sys.exit(f"no answer ({e}); the function exited with {fn.poll()}; log:\n{open(log.name).read()}")
            finally:
                fn.kill()
                fn.wait()
            if answer.get("statusCode") != 204:
                sys.exit(f"unexpected answer {answer}; log:\n{open(log.name).read()}")
            times.append(elapsed * 1000)
        times.sort()
        setup = args.store + (f", secret from {args.secret}" if args.store == "dynamodb" else "")
        print(f"cold start to first answer, {setup}, {args.runs} runs: "
              f"median {statistics.median(times):.1f} ms, min {times[0]:.1f}, max {times[-1]:.1f} "
              f"(load {os.getloadavg()[0]:.1f}; {binary}, {os.path.getsize(binary):,} bytes)")
    finally:
        for p in peers:
            p.terminate()
            p.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
