"""The digital twin: scenarios, simulation of plans, KPIs, plots and the CLI."""
