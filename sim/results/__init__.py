"""The files of a run: their names (declared once), writing them whole or not at all, reading a
results folder back, and the provenance every output carries.
"""
