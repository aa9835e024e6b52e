"""Run folders: the files a run leaves behind (``summary.json``, ``events.csv``,
``schedule.csv``), written atomically and read back with their contract checked.

- :mod:`~twin.runs.write`: atomic files and run folders, output checks before work;
- :mod:`~twin.runs.read`: a run folder into frames (:class:`~twin.runs.read.RunData`);
- :mod:`~twin.runs.frames`: frames derived from the log and plan, for plots.

Nothing is re-exported here: writing must not pay for pandas, which reading needs.
"""
