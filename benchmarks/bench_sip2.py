"""SIP2 costs: codec throughput for a typical checkout response and a large patron information
response, and a 99 -> 98 round trip over loopback TCP to a tiny threaded responder."""

from __future__ import annotations

import socket
import socketserver
import threading

from benchmarks.common import Result, latency, rate
from sync.sip2.codec import Message, decode, encode, message

DATE = "20260312    101500"
BATCH = 1000
ROUND_TRIPS = 1000


def checkout_response() -> Message:
    return message("12", {"ok": "1", "renewal_ok": "N", "magnetic_media": "N", "desensitize": "Y",
                          "transaction_date": DATE},
                   [("AO", "DK-775100"), ("AA", "23000000000001"), ("AB", "39000000000011"),
                    ("AJ", "Blæksprutten på Ærø"), ("AH", "20260409    235900"), ("CK", "001"),
                    ("AF", "Checked out")])


def patron_information_response(charged: int = 300) -> Message:
    fixed = {"patron_status": " " * 14, "language": "000", "transaction_date": DATE,
             "hold_items_count": "0000", "overdue_items_count": "0000",
             "charged_items_count": f"{charged:04d}", "fine_items_count": "0000",
             "recall_items_count": "0000", "unavailable_holds_count": "0000"}
    fields: list[tuple[str, object]] = [("AO", "DK-775100"), ("AA", "23000000000001"),
                                        ("AE", "Søren Ærø Jørgensen"), ("BL", "Y"), ("CQ", "Y")]
    fields += [("AU", f"{39000000000000 + n}") for n in range(charged)]
    return message("64", fixed, fields)


def codec_results(name: str, sample: Message) -> list[Result]:
    wire = encode(sample, sequence=3)

    def encode_batch() -> None:
        for n in range(BATCH):
            encode(sample, sequence=n)

    def decode_batch() -> None:
        for _ in range(BATCH):
            decode(wire)

    return [rate(f"sip2 encode {name} ({len(wire)} B)", BATCH, encode_batch),
            rate(f"sip2 decode {name} ({len(wire)} B)", BATCH, decode_batch)]


ACS_STATUS = encode(message("98", {
    "online_status": "Y", "checkin_ok": "Y", "checkout_ok": "Y", "acs_renewal_policy": "Y",
    "status_update_ok": "N", "offline_ok": "Y", "timeout_period": "030", "retries_allowed": "003",
    "date_time_sync": DATE, "protocol_version": "2.00"},
    [("AO", "DK-775100"), ("AM", "Testby Bibliotek"), ("BX", "YYYNYYYYYNYNNNYN")]), sequence=0) + b"\r"


class StatusResponder(socketserver.BaseRequestHandler):
    """Answers every CR-terminated frame with the same 98."""

    def handle(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        while chunk := self.request.recv(4096):
            pending += chunk
            frames = pending.count(b"\r")
            pending = pending[pending.rfind(b"\r") + 1:]
            for _ in range(frames):
                self.request.sendall(ACS_STATUS)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def round_trip_result() -> Result:
    server = _Server(("127.0.0.1", 0), StatusResponder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = encode(message("99", {"status_code": "0", "max_print_width": "080",
                                            "protocol_version": "2.00"}), sequence=0) + b"\r"

            def ask() -> None:
                sock.sendall(request)
                reply = b""
                while not reply.endswith(b"\r"):
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise ConnectionError("the responder closed the connection")
                    reply += chunk
                decode(reply)

            return latency("sip2 99->98 round trip, loopback TCP (+decode)", ask, runs=ROUND_TRIPS)
    finally:
        server.shutdown()
        server.server_close()


def run() -> list[Result]:
    return [*codec_results("12 checkout response", checkout_response()),
            *codec_results("64 with 300 AU", patron_information_response()),
            round_trip_result()]


if __name__ == "__main__":
    for result in run():
        print(result.line())
