"""The evaluation suite: a question file in, one JSON line per answer out, metrics printed."""
