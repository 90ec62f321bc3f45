"""An SMTP server for tests, on a loopback port of its own choosing.

Prints the port on the first line of standard output, then stores every
message it accepts as <count>.eml in the folder given as the first
argument, and beside it <count>.session: one `name=value` line each for
`tls` (the TLS version, or "none") and `login` (the user name that logged
in, or "none"). Recipients whose local part starts with "temp-fail" get a
451 reply and those starting with "perm-fail" a 550, so tests can exercise
both kinds of failure. Runs until killed.

With --tls-dir, it writes a new self-signed certificate for 127.0.0.1 to
TLS_DIR/certificate.pem (and its key to TLS_DIR/key.pem), offers STARTTLS
with it and rejects every command but EHLO, NOOP, QUIT and STARTTLS before
the switch to TLS. With --login USER:PASSWORD, it requires that login and
offers AUTH only over TLS; --mechanism limits AUTH to PLAIN or LOGIN.

Usage: /usr/bin/python3 smtp_sink.py MAIL_DIR [DELAY_SECONDS]
           [--tls-dir DIR] [--login USER:PASSWORD] [--mechanism PLAIN|LOGIN]
"""

import argparse
import asyncio
import datetime
import ipaddress
import itertools
import os
import socket
import ssl
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class Sink:
    def __init__(self, mail_dir, delay):
        self.mail_dir = mail_dir
        self.delay = delay
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("temp-fail"):
            return "451 4.3.0 try again later"
        if local.startswith("perm-fail"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        base = os.path.join(self.mail_dir, "%06d" % next(self.counter))
        tls = session.ssl["cipher"][1] if session.ssl else "none"
        login = session.auth_data.login.decode() if session.authenticated else "none"
        # The .session file comes first, so a reader that sees the .eml
        # always finds it.
        write_atomically(base + ".session", ("tls=%s\nlogin=%s\n" % (tls, login)).encode())
        write_atomically(base + ".eml", envelope.original_content)
        return "250 OK stored"


def write_atomically(name, data):
    temporary = name + ".tmp"
    with open(temporary, "wb") as out:
        out.write(data)
    os.rename(temporary, name)


def make_tls_context(tls_dir):
    """Writes a self-signed certificate for 127.0.0.1 and returns a server
    context that presents it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp sink")])
    now = datetime.datetime.utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(tls_dir, exist_ok=True)
    certificate_file = os.path.join(tls_dir, "certificate.pem")
    key_file = os.path.join(tls_dir, "key.pem")
    write_atomically(key_file, key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    write_atomically(certificate_file, certificate.public_bytes(serialization.Encoding.PEM))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    return context


def make_authenticator(login):
    user, password = login.split(":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        accepted = (isinstance(auth_data, LoginPassword)
                    and auth_data.login == user.encode()
                    and auth_data.password == password.encode())
        # handled=False makes aiosmtpd send its 535 reply for a refusal.
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)

    return authenticate


def parse_arguments():
    parser = argparse.ArgumentParser(description="An SMTP server for tests on loopback.")
    parser.add_argument("mail_dir", help="folder for the received messages")
    parser.add_argument("delay", nargs="?", type=float, default=0.0,
                        help="seconds to wait before accepting each message")
    parser.add_argument("--tls-dir", help="offer and require STARTTLS with a new certificate")
    parser.add_argument("--login", help="USER:PASSWORD that clients must log in with")
    parser.add_argument("--mechanism", choices=["PLAIN", "LOGIN"],
                        help="the only AUTH mechanism offered")
    return parser.parse_args()


def main():
    # aiosmtpd 1.4 sets its own deprecated Session.login_data on every login
    # and warns about it.
    warnings.filterwarnings("ignore", message="Session.login_data is deprecated")
    arguments = parse_arguments()
    os.makedirs(arguments.mail_dir, exist_ok=True)

    options = {"enable_SMTPUTF8": True}
    if arguments.tls_dir:
        options["tls_context"] = make_tls_context(arguments.tls_dir)
        options["require_starttls"] = True
    if arguments.login:
        options["authenticator"] = make_authenticator(arguments.login)
        options["auth_required"] = True
    if arguments.mechanism:
        options["auth_exclude_mechanism"] = [
            m for m in ("PLAIN", "LOGIN") if m != arguments.mechanism
        ]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)

    handler = Sink(arguments.mail_dir, arguments.delay)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, **options), sock=listener)
    )
    print(listener.getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
