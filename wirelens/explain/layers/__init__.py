"""One module per header, each a field table plus a ``dissect`` function."""
