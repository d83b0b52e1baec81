"""Less work per result, as wrappers around colorlib.paper.colorize (none of it is in the paper)."""
