"""The ``pctrade`` command line (Typer + Rich); ``main.app`` is the console script."""
