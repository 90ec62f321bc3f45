"""An SMTP server for tests, on a loopback port of its own choosing.

Prints the port on the first line of standard output, then stores every
message it accepts as <count>.eml in the folder given as the first
argument. Recipients whose local part starts with "temp-fail" get a 451
reply and those starting with "perm-fail" a 550, so tests can exercise
both kinds of failure. Runs until killed.

Usage: /usr/bin/python3 smtp_sink.py MAIL_DIR [DELAY_SECONDS]
"""

import asyncio
import itertools
import os
import socket
import sys

from aiosmtpd.smtp import SMTP


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
        name = os.path.join(self.mail_dir, "%06d.eml" % next(self.counter))
        temporary = name + ".tmp"
        with open(temporary, "wb") as out:
            out.write(envelope.original_content)
        os.rename(temporary, name)
        return "250 OK stored"


def main():
    mail_dir = sys.argv[1]
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    os.makedirs(mail_dir, exist_ok=True)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)

    handler = Sink(mail_dir, delay)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), sock=listener)
    )
    print(listener.getsockname()[1], flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
