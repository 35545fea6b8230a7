"""The subcommands of `cnncost`: each module has register(subparsers) and run(args) -> exit code.

Modules here import heavy packages (pandas, torch) inside run(), never at import time.
"""
