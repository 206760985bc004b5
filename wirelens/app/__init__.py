"""The jobs: what ties capture, explanation and rendering together for each command.

The only layer that imports capture and render together (the layers: app -> demos ->
capture, render -> overview -> explain; tests/test_layers.py holds them). ``cli`` parses
the command line and hands over to a job here: ``demojob`` (explain-demo), ``pcapcommand``
and ``pcapjob`` (explain-pcap), ``tablejob`` and ``distribute`` (--table, --dask),
``annotate`` (--annotate), ``live`` (--live); around them the privilege split
(``privsep``), the files a run may write (``files``, ``reports``), the keypress loops
(``interactive``) and the fast overview's processes (``fastread``, ``linespool``,
``slots``).
"""
