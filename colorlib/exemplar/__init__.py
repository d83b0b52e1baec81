"""Exemplar colorization without optimisation: the kit's method beyond the paper (preset 'best')."""
