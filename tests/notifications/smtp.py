"""A real SMTP server for the tests (aiosmtpd), standing in for the provider: down until
started, then accepting every message, except for the recipients it was told to answer
otherwise (`refuse_at_rcpt`, `answer_at_data`). Django's SMTP backend talks to it as to any
server. It counts the connections it was given (`connections`)."""

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # Once per connection (smtplib greets once, then sends every message on it).
        session.host_name = hostname
        self.sink.connections += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.sink.refuse_at_rcpt:
            return self.sink.refuse_at_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if address in self.sink.answer_at_data:
                return self.sink.answer_at_data[address]
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.sink.received.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class SmtpSink:
    """Nothing listens on `port` (the provider is down) until `start()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.connections = 0
        # recipient -> the server's answer ("550 ...", "451 ...") instead of accepting
        self.refuse_at_rcpt: dict[str, str] = {}
        self.answer_at_data: dict[str, str] = {}
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return body.get_content()
