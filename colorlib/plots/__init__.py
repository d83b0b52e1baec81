"""Every figure the notebooks show, drawn with matplotlib from plain data (no experiment logic)."""
