"""How fast the live page steps the wire, and whether live runs with a class that waits
at random all complete (run as root; Debian's chromium through Playwright).

Each run starts ``explain-demo tcp --live``, opens its page in headless Chromium and
presses Space for every packet the wire holds, after a random wait of 0 to
``--max-wait`` s (a wait past the SYN's timeout makes the kernel resend it: more packets
to release). For each press the page records four times on the machine's clock
(``window.wlMeasure``, live.js): the key press, the frame written to the receiving host
(the wire's own ``out`` time), the bar saying so (the WebSocket's message handled) and
the page showing the view after it (the new classroom page loaded in its frame). A run
completes when the page shows the whole capture and the demo, its page closed, exits 0.

    sudo .venv/bin/python bench/live_latency.py [--runs 20] [--max-wait 1.5] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.app.live.driver import Demo, nothing_left  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WAIT_MS = 60_000


Press = dict[str, float]


def one_run(browser: Any, rng: random.Random, max_wait: float) -> tuple[bool, list[Press]]:
    demo = Demo()
    context = page = None
    try:
        url = demo.url()[0]
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(url)
        measured = 0
        while True:
            page.wait_for_function(
                "() => document.body.dataset.held || document.querySelector('#wl-status .over')",
                timeout=WAIT_MS)
            if page.locator("#wl-status .over").count():
                break
            time.sleep(rng.uniform(0, max_wait))
            page.keyboard.press("Space")
            measured += 1
            page.wait_for_function(  # (a packet still held when the exchange ended, a
                # duplicate the kernels no longer needed, is never delivered)
                f"() => window.wlMeasure.length >= {measured} "
                f"|| document.querySelector('#wl-status .over')", timeout=WAIT_MS)
        presses: list[Press] = page.evaluate("() => window.wlMeasure")
        context.close()
        context = None
        completed = demo.wait() == 0
        return completed and not nothing_left(demo.proc.pid), presses
    except Exception as exc:  # noqa: BLE001 - a run that fails is counted, not fatal
        print(f"  run failed: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
        try:
            print(f"  the page said: {page.inner_text('#wl-status')[:300]!r}, held "
                  f"{page.evaluate('() => document.body.dataset.held')!r}", file=sys.stderr)
        except Exception:  # noqa: BLE001
            pass
        if demo.proc.poll() is None:
            os.killpg(demo.proc.pid, signal.SIGKILL)
            demo.proc.wait(30)
        print(f"  the demo said: {demo.stderr()[-500:]!r}", file=sys.stderr)
        return False, []
    finally:
        if context is not None:
            context.close()
        demo.kill()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> None:
    print(f"  {name}: median {statistics.median(values):.1f} ms, "
          f"p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-wait", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rng = random.Random(args.seed)
    completed = 0
    presses: list[Press] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for run in range(1, args.runs + 1):
            ok, measured = one_run(browser, rng, args.max_wait)
            completed += ok
            presses += measured
            print(f"run {run}: {'completed' if ok else 'FAILED'}, {len(measured)} presses",
                  flush=True)
        browser.close()
    print(f"{completed} of {args.runs} live runs completed (random waits 0-{args.max_wait} s "
          f"between presses, seed {args.seed}); {len(presses)} presses measured")
    for label, chosen in (("first 100 presses", presses[:100]), ("all presses", presses)):
        if not chosen:
            continue
        print(f"{label} ({len(chosen)}):")
        report("key press -> frame delivered", [m["delivered"] - m["key"] for m in chosen])
        report("key press -> bar updated", [m["bar"] - m["key"] for m in chosen])
        report("key press -> page updated (view loaded)",
               [m["updated"] - m["key"] for m in chosen])
    return 0 if completed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
