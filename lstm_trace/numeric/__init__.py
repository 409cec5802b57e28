"""The numeric engine: a scenario's model evaluated in float64 (engine.py), finite differences
(gradcheck.py), and random exercises to work by hand (generate.py)."""
