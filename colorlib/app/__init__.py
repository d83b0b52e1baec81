"""What a user runs: the command line, the widget explorer, the notebook regeneration."""
