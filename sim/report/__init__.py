"""The pages: the policy report (:mod:`sim.report.policy`), the HTML kit every page is built
from (:mod:`sim.report.html`) and the figures (:mod:`sim.report.figures`).
"""
