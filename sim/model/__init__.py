"""The model: the words (vocabulary), the schema of a scenario, loading it from YAML with
one-line errors, shared defaults, distributions, calendars, country codes and sources.

Nothing here simulates: this stage turns a file into a validated, immutable
:class:`~sim.model.schema.Scenario`, and every later stage reads only that.
"""
