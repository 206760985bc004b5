"""``chat``: the interactive chat of note 003, with the typing scripted.

Server: socket, bind, listen(4) (the note's number), accept, then in turn: recv a line,
stop if it is "quit", else answer. Client: in turn, send a line, stop after "quit", else
recv the answer. The client types "quit" and closes; the server stops when it reads the
word, and closes too, once the client's FIN has arrived (its recv() returns b""). In the
notes' own programs the server closes at once, so which FIN leaves first is a race; the
one extra recv() makes the client close first every time.
"""

from __future__ import annotations

from collections.abc import Callable

from wirelens.demos.scenarios.base import Demo, Scenario, describe_bytes
from wirelens.demos.scenarios.servers import accept, connect, listening

QUIT = "quit"
CLIENT_LINES = ("Hello, Server!", "How is the weather on your side?", QUIT)
SERVER_LINES = ("Hello, Client!", "Sunny, and the packets are flowing.")
NOTE_BACKLOG = 4  # note 003 calls listen(4)


def said(data: bytes) -> Callable[[object], str]:
    return lambda _: describe_bytes(data)


def run(demo: Demo) -> None:
    server, port = listening(demo, backlog=NOTE_BACKLOG, reuse=False)
    demo.start_capture(port)

    def serve() -> None:
        conn = accept(demo, server)
        answers = iter(SERVER_LINES)
        while True:
            line = demo.call("server", "recv", conn.recv, 1024, describe=describe_bytes,
                             nbytes=len)
            if not line or line == QUIT.encode():  # compared, not decoded (root runs the sockets)
                break
            answer = next(answers, "OK").encode()
            demo.call("server", "send", conn.send, answer, describe=said(answer),
                      nbytes=lambda n: n)
        if line:  # "quit": wait for the client to hang up (recv() gives b"") first
            demo.call("server", "recv", conn.recv, 1024, describe=describe_bytes, nbytes=len)
        demo.call("server", "close", conn.close)
        demo.call("server", "close", server.close)

    demo.thread("server", serve)
    client = connect(demo, port)
    for line in CLIENT_LINES:
        data = line.encode()
        demo.call("client", "send", client.send, data, describe=said(data), nbytes=lambda n: n)
        if line == QUIT:
            break
        demo.reply = demo.call("client", "recv", client.recv, 1024, describe=describe_bytes,
                               nbytes=len)
    demo.call("client", "close", client.close)
    demo.join()


SCENARIO = Scenario("chat", "scenario.chat.summary", run)
