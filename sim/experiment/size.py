"""How big an experiment is, said before anything is made: its points, replications, tasks
and tables, and the least time its simulations take.

Everything here is counted from the validated file alone (the number of points of a design
is a product or a multiple, never a list), so that a design of 10^12 points, or a count of
10^12 replications, is refused at once, with one line saying what to lower, instead of
growing until the machine runs out of memory.

What an experiment holds in this process, besides its workers. Measured on one-office
(556 indicator rows a point), peak resident memory grew by 459 MB from 200 to 2,000 points
of 2 replications (the constants below say 627 MB), and by 614 MB from 2,000 to 20,000
replications of 2 points (they say 590 MB; the headroom of
:data:`~sim.replicate.sizing.HEADROOM` covers the difference):

* per point, :data:`POINT_BYTES`: its factor values (in the design, the manifest and the
  tables), the planner's counts, a stored task's id;
* per kept indicator row of each point, :data:`ROW_BYTES`: the row in the final tables
  (results, the EMA outcomes, main effects), keys and statistics;
* per replication of a whole-scenario row, 8 bytes for every point (main effects pair
  replications across points), and of every kept row, :data:`POINT_VALUE_COPIES` x 8
  bytes for the one point being summarised;
* the values of the tasks this run wrote, kept to spare reading them back: at most
  :data:`~sim.experiment.store.RECENT_VALUES`.
"""

from __future__ import annotations

import copy
import math

from sim.errors import InputError
from sim.experiment.keys import is_whole_scenario, metric_of
from sim.experiment.spec import Experiment, design_size
from sim.experiment.store import RECENT_VALUES
from sim.indicators.layout import HEADLINE, Layout
from sim.language import _
from sim.language.formats import decimal
from sim.model.load import scenario_from_dict
from sim.plan.compile import Plan, compile_plan
from sim.replicate import sizing
from sim.replicate.processes import default_workers

POINT_BYTES = 4_000
ROW_BYTES = 600
TASK_BYTES = 300
POINT_VALUE_COPIES = 5  # the tasks' outputs, joined, the kept rows, what summarising copies


def check_size(
    experiment: Experiment, executor: str, address: str | None, workers: int | None
) -> float:
    """Refuse an experiment too big to hold or too long to run; the bytes of its tables.

    ``workers`` as asked (None: every core). The time is checked on the workers at hand:
    this machine's, or a LocalCluster's; a cluster elsewhere has a size unknown here.
    """
    source = experiment.source
    points = design_size(experiment)
    plan = _base_plan(experiment)
    size = sizing.estimate([plan])
    replications = experiment.max_replications
    field = "replications" if experiment.precision is None else "replications.max"
    if points > replications:  # the design is what to shrink
        field = "factors" if experiment.design == "grid" else "design.points"
    if executor == "local" or address is None:
        hands = workers or default_workers()
        sizing.check_work(size, [plan], replications, hands, source, field, points)
    else:
        sizing.check_work(size, [plan], replications, 1, source, field, 1)  # the count only
    rows, whole = _kept_rows(experiment, plan)
    needed = tables_bytes(experiment, points, rows, whole)
    room, where = sizing.available_memory()
    if needed > sizing.HEADROOM * room:
        raise InputError(
            source,
            field,
            _(
                "{points} points x {replications} replications x {rows} indicator rows need "
                "about {needed} for the tables, but {room} is available ({where}); ask for fewer "
                "points, replications or indicators"
            ).format(
                points=decimal(points, 0),
                replications=decimal(replications, 0),
                rows=rows,
                needed=sizing.human_bytes(needed),
                room=sizing.human_bytes(room),
                where=where,
            ),
        )
    return needed


def tables_bytes(experiment: Experiment, points: int, rows: int, whole: int) -> float:
    """What this process holds for an experiment's tables (see the module docstring)."""
    replications = experiment.max_replications
    tasks = math.ceil(replications / experiment.replications_per_task)
    per_point = POINT_BYTES + rows * ROW_BYTES + whole * replications * 8.0
    one_point = rows * replications * 8.0 * POINT_VALUE_COPIES + tasks * TASK_BYTES
    recent = min(float(RECENT_VALUES), float(points) * rows * replications) * 8.0
    return points * per_point + one_point + recent


def _base_plan(experiment: Experiment) -> Plan:
    """The plan of the scenario with ``set:`` applied (a point's size, near enough: the
    largest point is sized again, once every point is validated)."""
    return compile_plan(scenario_from_dict(copy.deepcopy(experiment.base), experiment.source))


def _kept_rows(experiment: Experiment, plan: Plan) -> tuple[int, int]:
    """Indicator rows kept per point, and how many of them are whole-scenario rows."""
    wanted = experiment.indicators
    if wanted is not None and experiment.precision is not None:
        wanted = (*wanted, *HEADLINE)
    rows = [row for row in Layout.of(plan).rows if wanted is None or metric_of(row) in set(wanted)]
    return len(rows), sum(1 for row in rows if is_whole_scenario(row))
