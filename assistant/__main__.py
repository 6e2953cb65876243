"""``python -m assistant``: run, serve, migrate, settings-doc."""

from assistant.cli import main

raise SystemExit(main())
