"""A counting SMTP sink on loopback, for the mail benchmark: accepts every message and
appends its recipients to a file, one a line. Runs until SIGTERM or SIGINT.

    python bench/smtp_sink.py --port 2525 --out /tmp/received.txt
"""

import argparse
import signal

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    async def handle_DATA(self, server, session, envelope):
        self.out.write("".join(f"{address}\n" for address in envelope.rcpt_tos))
        return "250 OK"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    controller = Controller(Sink(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
