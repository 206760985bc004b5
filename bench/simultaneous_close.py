"""How often do two FINs cross on loopback? (Why ``simultaneous-close`` needs a delayed wire.)

Each try: one connection on loopback; both sides call shutdown(SHUT_WR) at one shared
moment of the system clock (``closing.close_at``, the scenario's own helper), then read to
the end and close. When the FINs crossed, both ends went through CLOSING and both sit in
TIME_WAIT afterwards; otherwise only the side that closed first does. ``ss`` counts them.

    sudo .venv/bin/python bench/simultaneous_close.py 200
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time

from wirelens.demos.scenarios.closing import CROSS_LEAD, close_at


def one_try() -> bool:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        server, _ = listener.accept()
    moment = time.time() + CROSS_LEAD
    sides = [threading.Thread(target=close_at, args=(moment, s)) for s in (client, server)]
    for side in sides:
        side.start()
    for side in sides:
        side.join()
    for s in (client, server):
        s.recv(1)
        s.close()
    ss = shutil.which("ss") or "ss"
    out = subprocess.run([ss, "-H", "-t", "-n", "state", "time-wait", "(", "sport", "=",
                          f":{port}", "or", "dport", "=", f":{port}", ")"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.strip().splitlines()) == 2


def main() -> None:
    tries = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    crossed = sum(one_try() for _ in range(tries))
    print(f"the FINs crossed in {crossed} of {tries} tries ({100 * crossed / tries:.0f} %)")


if __name__ == "__main__":
    main()
