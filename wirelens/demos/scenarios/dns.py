"""``dns``: a name lookup against a tiny DNS server that the demo starts itself.

The server answers for a made-up zone only (``wirelens.test``, a name reserved for
testing by RFC 6761) with an address from TEST-NET-1 (RFC 5737), so nothing it says can
lead anywhere, and nothing leaves the machine. It listens on port 53 of the server's
address when that is free (a saved capture is then DNS to Wireshark too), else on any
free port, and the explainer is told which. The client builds its query by hand, byte by
byte, as RFC 1035 lays it out, and sends it with sendto(): one datagram there, one back.
The demo's sockets run as root, so neither side parses what it receives: each compares it
with the bytes it expects (the dissector, without root, explains them).
"""

from __future__ import annotations

import secrets
import socket
import struct

from wirelens.demos.scenarios.base import Demo, Scenario, address
from wirelens.demos.scenarios.udp import (
    GRACE,
    recvfrom,
    recvfrom_or_timeout,
    sendto,
    udp_port,
)
from wirelens.demos.tcp import DemoError
from wirelens.explain.layers.dns import PORT, Malformed, read_name
from wirelens.explain.watchers import ReplySeen

NAME = "server.wirelens.test."
RECORDS = {NAME: "192.0.2.10"}  # the zone: name -> IPv4 address
TTL = 60  # seconds the answer may be cached
TYPE_A, CLASS_IN = 1, 1
RD = 0x0100  # recursion desired, as a stub resolver asks
QR, AA = 0x8000, 0x0400  # response; authoritative answer
NXDOMAIN, FORMERR = 3, 1
POINTER_TO_QUESTION = 0xC00C  # a compressed name: "the name at byte 12", the question's


def encode_name(name: str) -> bytes:
    labels = [label.encode("ascii") for label in name.rstrip(".").split(".") if label]
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\0"


def build_query(qid: int, name: str = NAME, qtype: int = TYPE_A) -> bytes:
    header = struct.pack("!HHHHHH", qid, RD, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", qtype, CLASS_IN)


def build_answer(query: bytes) -> bytes:
    """The response to ``query``: the A record when the zone has the name, else NXDOMAIN."""
    if len(query) < 12:
        raise Malformed("header")
    qid, flags = struct.unpack("!HH", query[:4])
    name, end = read_name(query, 12)
    if end + 4 > len(query):
        raise Malformed("question")
    qtype, qclass = struct.unpack("!HH", query[end : end + 4])
    question = query[12 : end + 4]
    address = RECORDS.get(name.lower()) if (qtype, qclass) == (TYPE_A, CLASS_IN) else None
    rcode = 0 if address or name.lower() in RECORDS else NXDOMAIN
    header = struct.pack("!HHHHHH", qid, QR | AA | (flags & RD) | rcode, 1,
                         1 if address else 0, 0, 0)
    if address is None:
        return header + question
    record = struct.pack("!HHHIH", POINTER_TO_QUESTION, TYPE_A, CLASS_IN, TTL, 4)
    return header + question + record + socket.inet_aton(address)


def bound_dns_server(demo: Demo) -> tuple[socket.socket, int]:
    """The server's socket on the port asked for; else on DNS's own port 53 when that is
    free on the server's address (a saved capture is then DNS to any tool); else on a free
    port, which the explainer is told about. One bind() in the log, whichever it was."""
    server = demo.open("server", socket.SOCK_DGRAM)
    host = demo.host

    def bind() -> int:
        if demo.options.port:
            server.bind((host, demo.options.port))
        else:
            try:
                server.bind((host, PORT))
            except OSError:  # taken (another resolver, another demo): any free port will do
                server.bind((host, 0))
        bound: int = server.getsockname()[1]
        return bound

    port: int = demo.call("server", "bind", bind, describe=lambda p: address(host, p))
    return server, port


def _receive(demo: Demo, side: str, sock: socket.socket) -> tuple[bytes, tuple[str, int]] | None:
    """recvfrom(); on a wire that may drop a datagram (``demo.lossy``: --live) a timeout is
    the call's result, not a failure: no one resends a datagram, so none may come."""
    if demo.lossy:
        return recvfrom_or_timeout(demo, side, sock)
    return recvfrom(demo, side, sock)


def run(demo: Demo) -> None:
    server, port = bound_dns_server(demo)
    demo.start_capture(port)
    qid = secrets.randbits(16)
    query = build_query(qid)
    # The server runs as root, so it reads nothing it receives (issue 9): it knows the one
    # query its own client sends and compares the bytes; its answer is built from that
    # query, which we wrote ourselves.
    answer_to_send = build_answer(query)

    def serve() -> None:
        received = _receive(demo, "server", server)
        if received is None:  # the query was dropped on the wire: nothing to answer
            demo.call("server", "close", server.close)
            return
        got, sender = received
        if got != query:
            raise DemoError("the DNS server got a datagram that is not its client's query")
        sendto(demo, "server", server, answer_to_send, (sender[0], sender[1]))
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = demo.open("client", socket.SOCK_DGRAM)
    sendto(demo, "client", client, query, (demo.host, port))
    received = _receive(demo, "client", client)
    demo.call("client", "close", client.close)
    demo.join()
    if received is None:  # the query or the answer was dropped: no name was learnt
        return
    answer = received[0]
    if answer != answer_to_send:
        raise DemoError("the DNS answer is not the one the server sent")
    demo.reply = RECORDS[NAME].encode()


SCENARIO = Scenario("dns", "scenario.dns.summary", run, transport="udp", stop=ReplySeen,
                    bpf=udp_port, stop_within=GRACE, decode="dns")
