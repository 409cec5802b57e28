"""Grading: the traced quantities as one graph, rounding bounds, causes of mistakes, verdicts and
scores (check), and the judge of a student's own formula (check-formula). Prints nothing."""
