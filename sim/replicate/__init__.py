"""Replications: the runner (common random numbers, workers), the result of a run or a
comparison, statistics across replications, worker processes that die with their parent,
sizing before running, and warming the compiled code.
"""
