"""Project tooling: stack summary, compliance report, checkov gate (not shipped in the wheel)."""
