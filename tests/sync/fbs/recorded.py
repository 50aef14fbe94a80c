"""FBS replies as FBS sends them, from the recordings published with Aarhus's bibselv (test
fixtures of its FBS plugin, 2017; the agency is Aarhus's, the patron a test card), and a server on
real HTTP that answers each SIP2 command with one of them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sync.fbs.envelope import reply_xml, request_text

STATUS = ("98YYYYYY60099920170619    1307082.00AODK-775100|AMAarhus Kommunes Biblioteker. Borgerservice og "
          "Biblioteker|BXYYYYYYYYYYYNNYYY|")
PATRON = ("64              00920170619    140755000000000004000000000000AODK-775100|AALN:3210519784|"
          "AETestkort Mickey Mouse|BZ9999|CA9999|CB9999|BLY|CQY|BHDKK|BV0.00|CC220.00|"
          "AS29017638%4879770462%12345%20170725%DK-775100 - Hovedbiblioteket%Den store bog om LEGO Star "
          "Wars%Beecroft, Simon%a%xx%79.31|"
          "AT3846731813%20170626%Prinsesse Mononoke%%m%th%77.7|"
          "AU3846731813%20170626%Prinsesse Mononoke%%m%th%77.7|"
          "AU3843081011%20170720%The computer game design course: principles, practices and techniques for "
          "the aspiring game designer%%a%xx%79.41|"
          "AU4935636731%20170720%Mirjams flugt%Stig Christensen, Christoffer Rosenløv%a%xx%99.4 Jurkofsky "
          "Mirjam f. 1925|"
          "AU3847679564%20170720%Handbook of computer game studies%%a%xx%79.41|"
          "AV|BU|CD|BDJesper Kristensen%Hack Kampmanns Plads 2%8000%Aarhus%DK|BEjeskr@aarhus.dk|PB20000405|")
UNKNOWN_PATRON = ("64              00920170619    125151000000000000000000000000AODK-775100|"
                  "AAANY:3210519792|BLN|CQN|")
CHECKOUT = ("121NUY20170619    125152AODK-775100|AA3210519784|AB3274626533|AJ06850537|AH20170720    000000|"
            "CHHelbred dit liv%Hay, Louise L.%a%xx%61.36|BK19adc5e7-2734-4aeb-b255-d259c68928a5|")
RENEW_TOO_EARLY = ("300NUN20170619    125153AODK-775100|AA3210519784|AB3274626533|AJ06850537|"
                   "AH20170720    000000|CHHelbred dit liv%Hay, Louise L.%a%xx%61.36|"
                   "BKe0c0d0f5-eb25-4eb7-98d6-c234611c94b9|AF[BEFORE_RENEW_PERIOD]|")
RENEW_ALL = ("6610000000220170619    125153AODK-775100|"
             "BN3846731813%UNSUCCESSFUL%20170626%Prinsesse Mononoke%%m%th%77.7|"
             "BN3274626533%UNSUCCESSFUL%20170720%Helbred dit liv%Hay, Louise L.%a%xx%61.36|")
CHECKIN = ("101YUN20170619    125156AODK-775100|AB5052159786|AQHovedbiblioteket%Voksen%Krimi%|AJ51320352|"
           "AALN:C0016351730|CHKvinden de meldte savnet: krimi%Blædel, Sara%a%xx%sk|")
ITEM = ("1803020120170619    125156AB5052159786|AJ51320352|AQHovedbiblioteket%Voksen%Krimi%|"
        "CHR&#248;d hane &amp; sort h&#248;ne%Nesb&#248;, Jo%a%xx%sk|")
LOGIN_MISSING = '<error>Required field: LOGIN_PASSWORD must be set!</error>'

Answer = Callable[[str], tuple[int, bytes]]


def sip2(reply: str) -> Answer:
    return lambda _request: (200, reply_xml(response=reply))


@dataclass
class RecordedFbs:
    """Answers by SIP2 command (the request's first two characters); records what it was sent."""

    answers: dict[str, Answer | list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (login, password, SIP2)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: bytes) -> tuple[int, bytes]:
        login, password, text = request_text(body)
        with self.lock:
            self.requests.append((login, password, text))
            answer = self.answers.get(text[:2])
            if isinstance(answer, list):
                answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if answer is None:
            return 200, reply_xml(error=f"no recording for {text[:2]}")
        return answer(text)


@contextmanager
def recorded_fbs(answers: dict[str, Answer | list[Answer]]) -> Iterator[RecordedFbs]:
    fbs = RecordedFbs(dict(answers))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, reply = fbs.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fbs.url = f"http://127.0.0.1:{server.server_address[1]}/rest/sip2/DK-775100"
    try:
        yield fbs
    finally:
        server.shutdown()
        server.server_close()
