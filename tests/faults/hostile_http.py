#!/usr/bin/python3
"""Send hostile HTTP to a running gateway on loopback and check each answer.

Every attack must get a 4xx answer or have its connection closed, the
gateway's resident memory must stay bounded, and a parent loading the
sign-in page at the same time must still be served. Prints one line per
attack family with its counts, and exits 1 when any attack got through.

    hostile_http.py --port 8080 --pid 1234 [--session COOKIE] [--rounds 1]

--session is a signed-in parent's pp_session cookie, so the routes behind
sign-in are attacked too, not only the redirect to the sign-in page.
"""
import argparse
import socket
import sys
import threading
import time

HOST = "127.0.0.1"

# Every route the gateway serves, with a placeholder where a route takes an
# id or token.
ROUTES = [
    ("GET", "/"), ("GET", "/register"), ("POST", "/register"), ("GET", "/sign-in"),
    ("POST", "/sign-in"), ("GET", "/change-password"), ("POST", "/change-password"),
    ("POST", "/sign-out"), ("GET", "/forgot-username"), ("POST", "/forgot-username"),
    ("GET", "/forgot-password"), ("POST", "/forgot-password"), ("GET", "/account"),
    ("GET", "/children/{}"), ("GET", "/children/{}/calendar"), ("GET", "/link"),
    ("POST", "/link"), ("GET", "/link/code"), ("POST", "/link/code"),
    ("GET", "/calendar/{}.ics"), ("GET", "/schools/5300011/calendar.ics"),
    ("POST", "/calendar/feed/replace"), ("POST", "/calendar/feed/revoke"),
    ("POST", "/services/payments"), ("POST", "/services/payments/callback"),
    ("GET", "/services/payments/receipts"), ("GET", "/.well-known/jwks.json"),
    ("GET", "/assets/site.css"), ("GET", "/assets/handoff.js"), ("GET", "/healthz"),
]

# Ways of writing "../../../etc/passwd" that a decoder, a second decoder or
# a lenient path joiner might turn into a real traversal.
TRAVERSALS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "..%252f..%252f..%252fetc%252fpasswd",
    "%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
    "..%5c..%5c..%5cwindows%5cwin.ini",
    "....//....//....//etc/passwd",
    "%2e%2e%00/etc/passwd",
    "..;/..;/etc/passwd",
    "/etc/passwd",
    "%2fetc%2fpasswd",
]

SECRETS = [b"root:x:0:0", b"[fonts]", b"PRIVATE KEY", b"operator-token"]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def exchange(raw, read_limit=1 << 20, timeout=20.0):
    """Send raw bytes, return (status or None when cut off, the response bytes)."""
    connection = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        try:
            connection.sendall(raw)
        except OSError:
            pass  # the server may answer and close before reading everything
        data = b""
        while len(data) < read_limit:
            try:
                chunk = connection.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and not keeps_coming(data):
                break
    finally:
        connection.close()
    return parse_status(data), data


def keeps_coming(data):
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) < int(value.strip() or 0)
    return False


def parse_status(data):
    if not data.startswith(b"HTTP/1."):
        return None
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def request(method, path, headers=(), body=b"", session=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (HOST, PORT), "Connection: close"]
    if session:
        lines.append("Cookie: pp_session=%s" % session)
    lines.extend(headers)
    if method == "POST" and not any(h.lower().startswith("transfer-encoding") for h in headers):
        lines.append("Content-Type: application/x-www-form-urlencoded")
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Tally:
    def __init__(self):
        self.tried = {}
        self.failures = []

    def record(self, family, what, status, data, allow_redirect_to_sign_in):
        self.tried[family] = self.tried.get(family, 0) + 1
        leaked = [secret for secret in SECRETS if secret in data]
        refused = status is None or 400 <= status < 500
        if allow_redirect_to_sign_in and status in (302, 303):
            refused = b"\r\nLocation: /sign-in" in data
        if leaked or not refused:
            self.failures.append("%s: %s -> %s%s" % (family, what, status,
                                                     " leaked %s" % leaked if leaked else ""))


def attack_traversal(tally, session):
    for method, route in ROUTES:
        for traversal in TRAVERSALS:
            if "{}" in route:
                path = route.replace("{}", traversal)
            else:
                path = route.rstrip("/") + "/" + traversal
            status, data = exchange(request(method, path, session=session))
            # Without a session, a protected route may send the visitor to
            # sign in before it looks at the id; nothing is served either way.
            tally.record("path traversal", method + " " + path, status, data,
                         allow_redirect_to_sign_in=session is None)
    # A traversal in the query string reaches handlers that read fields.
    for traversal in TRAVERSALS[:4]:
        status, data = exchange(request("GET", "/sign-in?next=" + traversal, session=session))
        tally.tried["path traversal"] += 1
        if any(secret in data for secret in SECRETS):
            tally.failures.append("path traversal: query %s leaked a file" % traversal)


def attack_sizes(tally, session):
    big = "A" * (64 * 1024)
    cases = [
        ("one 64 KiB header", request("GET", "/sign-in", ["X-Filler: " + big])),
        ("one 1 MiB header", request("GET", "/sign-in", ["X-Filler: " + "A" * (1 << 20)])),
        ("10 000 headers", request("GET", "/sign-in", ["X-H%d: v" % i for i in range(10000)])),
        ("64 KiB request line", request("GET", "/sign-in?q=" + big)),
        ("64 KiB cookie", request("GET", "/", ["Cookie: pp_csrf=" + big])),
        ("1 MiB form field", request("POST", "/sign-in", body=b"username=" + b"a" * (1 << 20))),
        ("16 MiB body", request("POST", "/register", body=b"forename=" + b"a" * (16 << 20))),
        ("100 000 form fields", request("POST", "/sign-in",
                                         body=b"&".join(b"f%d=x" % i for i in range(100000)))),
        ("Content-Length of 1 TiB", ("POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: %d"
                                     "\r\nContent-Type: application/x-www-form-urlencoded"
                                     "\r\n\r\nusername=a" % (1 << 40)).encode()),
        ("negative Content-Length", b"POST /sign-in HTTP/1.1\r\nHost: x\r\n"
                                    b"Content-Length: -5\r\n\r\nabc"),
    ]
    for what, raw in cases:
        status, data = exchange(raw, timeout=30)
        tally.record("oversized", what, status, data, allow_redirect_to_sign_in=False)


def attack_chunked(tally):
    """A chunked body with no length that never ends: it must be cut off."""
    connection = socket.create_connection((HOST, PORT), timeout=30)
    sent = 0
    status = None
    data = b""
    try:
        connection.sendall(b"POST /sign-in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                           b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        chunk = b"10000\r\n" + b"a" * 0x10000 + b"\r\n"
        while sent < (256 << 20):
            connection.sendall(chunk)
            sent += 0x10000
    except OSError:
        pass
    try:
        data = connection.recv(65536)
        status = parse_status(data)
    except OSError:
        pass
    connection.close()
    what = "endless chunked body cut after %d MiB" % (sent >> 20)
    tally.record("chunked", what, status, data, allow_redirect_to_sign_in=False)
    if sent >= (256 << 20):
        tally.failures.append("chunked: the gateway read 256 MiB of a body without stopping")
    # Chunk sizes that overflow, and a body shorter than its chunk header.
    for raw in [b"POST /sign-in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
                b"POST /sign-in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Length: 3\r\n\r\n5\r\nab\r\n0\r\n\r\n"]:
        status, data = exchange(raw)
        tally.record("chunked", repr(raw[60:90]), status, data, allow_redirect_to_sign_in=False)


def attack_ranges(tally):
    for path in ["/sign-in", "/.well-known/jwks.json", "/schools/5300011/calendar.ics"]:
        for count in (100, 2000):
            ranges = ",".join("%d-%d" % (i, i) for i in range(count))
            status, data = exchange(request("GET", path, ["Range: bytes=" + ranges]))
            # A server may ignore Range and send the whole page (200); what
            # it must not do is build thousands of parts.
            parts = data.count(b"Content-Range:")
            tally.tried["many ranges"] = tally.tried.get("many ranges", 0) + 1
            if parts > 5:
                tally.failures.append("many ranges: %s with %d ranges -> %s, %d parts"
                                      % (path, count, status, parts))
        overlapping = ",".join(["0-"] * 500)
        status, data = exchange(request("GET", path, ["Range: bytes=" + overlapping]))
        tally.tried["many ranges"] += 1
        if data.count(b"Content-Range:") > 5:
            tally.failures.append("many ranges: %s with 500 overlapping ranges -> %s parts"
                                  % (path, data.count(b"Content-Range:")))


# What a slow client sends at once, and then one byte of at each tick. Each
# kind stops short of a whole request, so only the gateway can end it.
SLOW_KINDS = [
    ("request line", b"G", b"ET /sign-in?slow=" + b"a" * 200 + b" HTTP/1.1\r\n"),
    ("headers", b"GET /sign-in HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n"),
    ("body", b"POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
             b"Content-Type: application/x-www-form-urlencoded\r\n\r\n", b"username=" + b"a" * 300),
]


def closed_by_server(connection):
    """Return True when the server has closed `connection`, reading any response it sent."""
    connection.setblocking(False)
    try:
        while True:
            if not connection.recv(65536):
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.setblocking(True)


def attack_slow_clients(tally, holders, seconds):
    """Many clients trickle a request a byte a second and never finish it.

    Every connection must be closed by the gateway within `seconds`; each
    one still open then is a failure. Returns the number of connections made
    and a dict of those still open, by kind.
    """
    clients = []
    for index in range(holders):
        kind, opening, trickle = SLOW_KINDS[index % len(SLOW_KINDS)]
        try:
            connection = socket.create_connection((HOST, PORT), timeout=5)
            if opening:
                connection.sendall(opening)
        except OSError as error:
            tally.failures.append("slow clients: connection %d failed: %s" % (index, error))
            continue
        clients.append({"kind": kind, "socket": connection, "trickle": trickle, "sent": 0,
                        "closed": False})
    end = time.time() + seconds
    while time.time() < end and not all(client["closed"] for client in clients):
        time.sleep(1)
        for client in clients:
            if client["closed"]:
                continue
            if closed_by_server(client["socket"]):
                client["closed"] = True
                continue
            byte = client["trickle"][client["sent"] % len(client["trickle"]):][:1]
            try:
                client["socket"].sendall(byte)
                client["sent"] += 1
            except OSError:
                client["closed"] = True
    open_by_kind = {}
    for client in clients:
        tally.tried["slow clients"] = tally.tried.get("slow clients", 0) + 1
        if not client["closed"] and not closed_by_server(client["socket"]):
            open_by_kind[client["kind"]] = open_by_kind.get(client["kind"], 0) + 1
            tally.failures.append("slow clients: a client trickling its %s was still connected "
                                  "after %d s" % (client["kind"], seconds))
        client["socket"].close()
    return len(clients), open_by_kind


class Bystander(threading.Thread):
    """A parent loading the sign-in page twice a second during the attacks."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.served = 0
        self.failed = []
        self.slowest = 0.0

    def run(self):
        while not self.stop.is_set():
            started = time.time()
            try:
                status, _ = exchange(request("GET", "/sign-in"), timeout=10)
            except OSError as error:
                status = str(error)
            took = time.time() - started
            self.slowest = max(self.slowest, took)
            if status == 200:
                self.served += 1
            else:
                self.failed.append("%s after %.1f s" % (status, took))
            self.stop.wait(0.5)


def main():
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the gateway's HTTP port")
    parser.add_argument("--pid", type=int, required=True, help="the gateway's process id")
    parser.add_argument("--session", help="a signed-in parent's pp_session cookie")
    parser.add_argument("--rounds", type=int, default=1, help="times to repeat every attack")
    parser.add_argument("--slow_clients", type=int, default=200,
                        help="connections that trickle a request line, headers or a body")
    parser.add_argument("--slow_seconds", type=int, default=30,
                        help="seconds within which the gateway must close every slow client; "
                             "longer than its request deadline plus the time to serve the "
                             "clients queued ahead")
    parser.add_argument("--max_rss_growth_mib", type=int, default=256,
                        help="resident memory the gateway may gain over the run, in MiB")
    args = parser.parse_args()
    PORT = args.port

    rss_before = rss_kib(args.pid)
    rss_peak = rss_before
    tally = Tally()
    bystander = Bystander()
    bystander.start()
    for _ in range(args.rounds):
        attack_traversal(tally, None)
        if args.session:
            attack_traversal(tally, args.session)
        attack_sizes(tally, args.session)
        rss_peak = max(rss_peak, rss_kib(args.pid))
        attack_chunked(tally)
        rss_peak = max(rss_peak, rss_kib(args.pid))
        attack_ranges(tally)
    connected, still_open = attack_slow_clients(tally, args.slow_clients, args.slow_seconds)
    rss_peak = max(rss_peak, rss_kib(args.pid))
    bystander.stop.set()
    bystander.join()

    for family, count in tally.tried.items():
        print("%s: %d attacks" % (family, count))
    print("slow clients: %d connected, %d closed by the gateway within %d s, still open: %s"
          % (connected, connected - sum(still_open.values()), args.slow_seconds,
             still_open or "none"))
    print("gateway RSS: %d MiB before, %d MiB at most" % (rss_before >> 10, rss_peak >> 10))
    print("bystander: %d pages served, %d failed, slowest %.1f s"
          % (bystander.served, len(bystander.failed), bystander.slowest))
    failures = list(tally.failures)
    if (rss_peak - rss_before) >> 10 > args.max_rss_growth_mib:
        failures.append("memory: RSS grew by %d MiB" % ((rss_peak - rss_before) >> 10))
    if bystander.failed:
        failures.append("bystander: %d requests failed, first %s"
                        % (len(bystander.failed), bystander.failed[0]))
    for failure in failures[:40]:
        print("FAILED " + failure)
    if len(failures) > 40:
        print("... and %d more" % (len(failures) - 40))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
