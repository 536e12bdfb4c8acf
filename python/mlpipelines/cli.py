"""The ``mlpipelines`` console script: the Java command line, run in-process through JPype.

Same commands, output and exit codes as ``build/install/mlpipelines/bin/mlpipelines``.
"""

from __future__ import annotations

import sys

from mlpipelines import bridge


def main(argv: list[str] | None = None) -> int:
    """Runs one ``mlpipelines`` command; returns its exit code (2 when the bridge cannot start)."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return bridge.run_command(args)
    except bridge.BridgeError as error:
        print(f"mlpipelines: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
