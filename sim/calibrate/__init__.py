"""``mrasim calibrate``: fit a scenario to clearance records or to published tables.

The CLI's one entry point is :func:`sim.calibrate.command.run`. From Python::

    from sim.calibrate.from_records import calibrate_records
    result = calibrate_records("records.csv", "template.yaml", holdout=0.3)
    result.verdict, result.estimates, result.text   # the answer, the values, the fitted file

    from sim.calibrate.targets import calibrate_targets
    result = calibrate_targets("targets.yaml", "template.yaml", ["a.b.c=[1,5]"])
    result.table                                      # each target: published, simulated

Data flows one way: records are read and checked (:mod:`sim.records`), each port is
fitted (``fit``, with ``estimate``, ``lodgement``, ``reconstruct``, ``simulate``,
over the template's ``structure``), the fitted model is checked against the records
(``check``), and the result is written (``provenance``, ``writeback``, ``report``).
Published targets take ``targets`` instead of the fitting modules.
"""
