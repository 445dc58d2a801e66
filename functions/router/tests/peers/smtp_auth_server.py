"""An SMTP server that takes mail only from an authenticated client over TLS.

aiosmtpd's command line has no AUTH, so this starts its Controller with:
STARTTLS on the given certificate (required before anything else), AUTH
PLAIN/LOGIN accepted only after STARTTLS and only for the one user and
password of the environment (SMTP_AUTH_USER, SMTP_AUTH_PASSWORD), and a
Mailbox handler that files every message into MAILDIR. A wrong password is
answered `535 5.7.8 Authentication credentials invalid`.

Started by scripts/test.sh for functions/router/tests/smtp_tls.rs:

    python smtp_auth_server.py --listen 127.0.0.1:PORT --cert C --key K MAILDIR
"""

import argparse
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("maildir")
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    user = os.environ["SMTP_AUTH_USER"].encode()
    password = os.environ["SMTP_AUTH_PASSWORD"].encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user
            and auth_data.password == password
        )
        # handled=False: aiosmtpd answers a failure itself (535); by default
        # it would leave that to the authenticator and say nothing.
        return AuthResult(success=ok, handled=False)

    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)

    controller = Controller(
        Mailbox(args.maildir),
        hostname=host,
        port=int(port),
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
