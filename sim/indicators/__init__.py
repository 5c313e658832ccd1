"""One replication reduced to numbers: the layout of its indicator vector
(:mod:`sim.indicators.layout`), the compiled sums by cell (:mod:`sim.indicators.sums`),
exact order statistics (:mod:`sim.indicators.order_stats`) and per-shipment records
(:mod:`sim.indicators.records`).
"""
