"""Schedules from forecasts: shifts, breaks and a weekly roster that meet the service level at the least
paid hours, solved with OR-Tools CP-SAT (model.py), judged interval by interval (evaluate.py), with
the cost of each step of safety (plan.risk_curve) and a record under DATA/schedules/ (keep.py)."""

from cxdash.schedule.plan import SAFETY_STEPS, Plan, Schedule, make_schedule, risk_curve
from cxdash.schedule.rules import RulesError

__all__ = ["SAFETY_STEPS", "Plan", "RulesError", "Schedule", "make_schedule", "risk_curve"]
