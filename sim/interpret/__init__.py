"""Numbers as people read them: the answer (one sentence per question, one row per country),
what a result assumes, rounding to the interval, terminal tables, and ``validate``'s text.
"""
