"""``explain-demo --live``: the class steps a real exchange, one held packet at a time.

- ``job``: the privileged side: the pipes, the class's process, the demo over a gated wire,
  the final explanation;
- ``news``: what the privileged side tells the class (socket calls, the kernel's timers);
- ``room``: the class's state, fed by the wire's events and the news (no I/O);
- ``terminal``: ``--live --step``, a keypress releases the next packet;
- ``server``: the local page and its WebSocket (aiohttp).
"""
