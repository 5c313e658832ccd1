"""A scenario compiled to flat arrays (:mod:`sim.plan.compile`), and what those arrays imply
before anything runs (:mod:`sim.plan.expect`): group shares, visits, loads, expected arrivals.
"""
