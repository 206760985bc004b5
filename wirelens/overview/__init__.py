"""The overview engine: a whole capture's TCP conversations, UDP flows and ARP, counted.

Built beside the model (``wirelens.explain``), which it imports and which never imports it:
header walks straight to segments (``fastwalk`` frame by frame, ``columns`` a block at a
time with numpy), many segments into the one ``ConversationTracker`` at once (``bulk``,
``settle``), the overview itself (``builder``), and the table of many captures (``table``).
Every fast path here is proven equal to the tracker fed one segment at a time by a test.
"""
