"""The paper's figures, run profiles and parameter sweeps, built on colorize() and the evaluation."""
