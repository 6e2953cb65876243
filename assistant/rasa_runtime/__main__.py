"""``rasa`` with the fixes of ``assistant.rasa_runtime.fixes`` applied first.

The launcher starts the Rasa server as ``.venv-rasa/bin/python -m
assistant.rasa_runtime run ...``: the same command line as ``rasa run``.
"""

from __future__ import annotations

import sys

from assistant.rasa_runtime.fixes import apply_fixes


def main() -> None:
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
