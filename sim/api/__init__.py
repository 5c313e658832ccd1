"""The Python front: what ``import sim`` hands a notebook (:mod:`sim.api.shown`)."""
