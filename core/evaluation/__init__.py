"""The answer and how sure it is: splits and cross-fitting, fitting arms, metrics and intervals, summaries, headlines."""
