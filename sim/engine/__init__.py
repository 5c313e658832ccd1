"""Simulation: every random draw of a replication (:mod:`sim.engine.inputs`), the readable
SimPy reference (:mod:`sim.engine.reference`) and the compiled event loop
(:mod:`sim.engine.compiled`), which return the same outcome to the bit
(:mod:`sim.engine.outcome`).
"""
