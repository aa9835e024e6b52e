"""The one table of KPI names: what the CLI's table and the HTML report call each KPI.

Keys are the stable field names of :class:`twin.kpi.KPIs` (and of ``summary.json``).
Units: ``"%"`` for shares, ``"t"`` for the run's time unit, anything else is printed
as it stands.
"""

from __future__ import annotations

__all__ = ["CLI_KEYS", "KPI_GROUPS", "KPI_LABELS"]

# key -> (label, unit: "%" for shares, "t" for the run's time unit, else literal)
KPI_LABELS: dict[str, tuple[str, str]] = {
    "throughput_per_hour": ("Throughput 产出率 (good parts)", "parts/h"),
    "throughput_lots_per_hour": ("Throughput 产出率 (lots)", "lots/h"),
    "jobs_released": ("Lots released 投产批次", ""),
    "jobs_finished": ("Lots delivered (finished good) 完工交付批次", ""),
    "jobs_scrapped": ("Lots scrapped 报废批次", ""),
    "jobs_open": ("Lots open at the end 未完工批次", ""),
    "jobs_overdue": ("Lots overdue, undelivered 逾期未交批次", ""),
    "parts_good": ("Good parts 合格品", ""),
    "parts_scrap": ("Scrapped parts 废品", ""),
    "rework_ratio": ("Rework ratio 返工率", "%"),
    "first_pass_yield": ("First pass yield 一次合格率 (FPY)", "%"),
    "lead_time_mean": ("Mean lead time 平均生产周期", "t"),
    "lead_time_p95": ("Lead time p95 生产周期95分位", "t"),
    "wip_mean": ("Mean WIP 平均在制品", "lots"),
    "makespan": ("Makespan 完工时间", "t"),
    "on_time_rate": ("On-time rate 准时交付率", "%"),
    "tardiness_total": ("Total tardiness 总拖期", "t"),
    "oee": ("OEE 设备综合效率", "%"),
    "availability": ("Availability 可用率", "%"),
    "performance": ("Performance 性能率", "%"),
    "quality": ("Quality 质量合格率", "%"),
    "loading_ratio": ("Loading ratio 负荷率 (loading / calendar time)", "%"),
    "teep": ("TEEP 完全有效生产率", "%"),
    "performance_above_one": ("Faster than nominal (check nominal times) 性能率>105%", ""),
    "nc_rate_equipment": ("设备数控化率 NC rate (equipment)", "%"),
    "nc_rate_process": ("工序数控化率 NC rate (process hours)", "%"),
    "networked_rate": ("设备联网率 Networked rate", "%"),
    "nc_rate_threshold": ("数控化率目标 NC-rate target", "%"),
    "nc_rate_equipment_meets_threshold": ("设备数控化率达标 equipment NC rate meets target", ""),
    "nc_rate_process_meets_threshold": ("工序数控化率达标 process NC rate meets target", ""),
    "energy_kwh": ("Energy 能耗", "kWh"),
    "energy_kwh_per_part": ("Energy per good part 单件能耗", "kWh"),
    "energy_kgce": ("Energy 综合能耗 (当量值)", "kgce"),
    "primary_energy_kgce": ("Primary energy 综合能耗 (等价值)", "kgce"),
    "plan_adherence": ("Plan adherence 计划执行率 (starts within tolerance)", "%"),
    "start_delay_mean": ("Mean start delay against plan 平均开工偏差", "t"),
    "start_delay_p95": ("Start delay p95 开工偏差95分位", "t"),
    "lots_late_against_plan": ("Lots later than planned 晚于计划批次", ""),
    "labour_hours": ("Labour hours (attendance) 出勤工时", "h"),
    "labour_hours_worked": ("Labour hours worked 作业工时", "h"),
    "labour_hours_per_good_part": ("Labour hours per good part 单件工时", "h"),
    "worked_hours_per_good_part": ("Worked hours per good part 单件作业工时", "h"),
    "operator_utilisation": ("Operator utilisation 人员利用率", "%"),
    "window_start": ("Observation window start 统计起点", "t"),
    "window_end": ("Observation window end 统计终点", "t"),
}
KPI_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Output and flow 产出与流转", (
        "throughput_per_hour", "throughput_lots_per_hour", "jobs_released", "jobs_finished",
        "jobs_scrapped", "jobs_open", "jobs_overdue", "parts_good", "parts_scrap",
        "rework_ratio", "first_pass_yield",
        "lead_time_mean", "lead_time_p95", "wip_mean", "makespan", "on_time_rate",
        "tardiness_total", "window_start", "window_end")),
    ("OEE 设备综合效率 (on loading time, docs/KPIS.md)", (
        "oee", "availability", "performance", "quality", "loading_ratio", "teep",
        "performance_above_one")),
    ("Digitalisation 数字化", (
        "nc_rate_equipment", "nc_rate_process", "networked_rate", "nc_rate_threshold",
        "nc_rate_equipment_meets_threshold", "nc_rate_process_meets_threshold")),
    ("Plan adherence 计划执行", (
        "plan_adherence", "start_delay_mean", "start_delay_p95", "lots_late_against_plan")),
    ("Labour 人工", (
        "labour_hours", "labour_hours_worked", "labour_hours_per_good_part",
        "worked_hours_per_good_part", "operator_utilisation")),
    ("Energy 能耗", ("energy_kwh", "energy_kwh_per_part", "energy_kgce", "primary_energy_kgce")),
)  # fmt: skip

#: The KPIs ``twin run`` prints, in order; a leading ``"  "`` indents a component.
CLI_KEYS: tuple[str, ...] = (
    "makespan", "throughput_per_hour", "lead_time_mean", "lead_time_p95", "wip_mean",
    "on_time_rate", "tardiness_total", "jobs_open", "plan_adherence", "start_delay_mean",
    "oee", "  availability", "  performance",
    "  quality", "teep",
    "nc_rate_equipment", "nc_rate_process", "networked_rate", "labour_hours_per_good_part",
    "operator_utilisation", "energy_kwh",
    "energy_kwh_per_part", "energy_kgce", "primary_energy_kgce",
)  # fmt: skip
