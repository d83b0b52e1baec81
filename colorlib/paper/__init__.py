"""The paper's method (Nguyen, Mori, Thawonmas 2016, §3): Config, VGG-19, the equations, the loop, colorize()."""
