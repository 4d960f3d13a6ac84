"""The exit codes every command shares (a module of its own: commands import it, not the shell)."""

__all__ = ["EXIT_FINDING", "EXIT_UNUSABLE"]

#: A finding: a stack behind, a blocking change, ... (what the command checks for).
EXIT_FINDING = 1
#: Unusable input (an unreadable directory or file, an account that cannot be read).
EXIT_UNUSABLE = 2
