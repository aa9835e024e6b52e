"""Experiments: sweeps over scenario variants with replications, their statistics and
comparisons, on local processes or a Dask cluster.

- :mod:`~twin.experiments.spec`, :mod:`~twin.experiments.paths`,
  :mod:`~twin.experiments.load`: the sweep file, changes by path, loading and checking
  every point before anything runs;
- :mod:`~twin.experiments.tasks`, :mod:`~twin.experiments.executors`: what a worker
  runs (parameters and seeds only) and where (this process, a process pool, Dask);
- :mod:`~twin.experiments.sweep`: :func:`run_sweep`, resumable, into a sweep folder
  (:mod:`~twin.experiments.store`);
- :mod:`~twin.experiments.stats`, :mod:`~twin.experiments.results`: means and 95 %
  intervals, paired differences against the baseline, replications needed; the frames;
- :mod:`~twin.experiments.compare`, :mod:`~twin.experiments.report`: run and sweep
  folders compared, the HTML comparison report;
- :mod:`~twin.experiments.robustness`: a plan's Monte Carlo estimate against SimPy.

::

    from twin.experiments import run_sweep
    result = run_sweep("scenarios/sweeps/upgrade_study.yaml", "runs/upgrade", workers=2)
    result.summary, result.differences, result.points      # pandas DataFrames
"""

from twin.experiments.compare import compare_folders
from twin.experiments.executors import DASK_EXTRA, check_executor, open_executor
from twin.experiments.load import Point, Sweep, load_sweep, sweep_from_dict
from twin.experiments.paths import Change, PathError, apply_changes, parse_path
from twin.experiments.report import write_sweep_report
from twin.experiments.results import SweepResult, read_sweep
from twin.experiments.robustness import PlanRobustness, plan_robustness
from twin.experiments.spec import SweepSpec
from twin.experiments.stats import differences, replications_needed, summarise, t95
from twin.experiments.sweep import SweepProgress, plan_tasks, run_sweep
from twin.experiments.tasks import Task, TaskResult, flatten_kpis, run_task

__all__ = [
    "DASK_EXTRA",
    "Change",
    "PathError",
    "PlanRobustness",
    "Point",
    "Sweep",
    "SweepProgress",
    "SweepResult",
    "SweepSpec",
    "Task",
    "TaskResult",
    "apply_changes",
    "check_executor",
    "compare_folders",
    "differences",
    "flatten_kpis",
    "load_sweep",
    "open_executor",
    "parse_path",
    "plan_robustness",
    "plan_tasks",
    "read_sweep",
    "replications_needed",
    "run_sweep",
    "run_task",
    "summarise",
    "sweep_from_dict",
    "t95",
    "write_sweep_report",
]
