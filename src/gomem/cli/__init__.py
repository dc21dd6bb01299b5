"""The ``gomem`` command line: one module per command (``gomem.cli.<name>`` exports
``command``, a click command); ``main`` turns errors into exit codes in one place."""
