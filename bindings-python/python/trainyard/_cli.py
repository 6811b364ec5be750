"""The ``trainyard`` console script: the Rust command line (``trainyard-cli``) linked into the
extension module, so ``pip install trainyard`` gives the same ``trainyard`` command as
``cargo install``. See the README's "From the command line" section."""

import sys

from . import _native


def main() -> int:
    """Runs ``trainyard`` with this process's arguments; returns its exit code."""
    # Whatever Python wrote so far comes before the command's own output.
    sys.stdout.flush()
    sys.stderr.flush()
    return _native.run_cli(["trainyard", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
