"""Measuring colorizations against ground truth: metrics, baselines, the method registry, the evaluation run."""
