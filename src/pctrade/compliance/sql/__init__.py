"""The compliance context's tables and their reads and writes (``schema``, ``store``)."""
