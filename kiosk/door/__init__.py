"""Unstaffed hours: calendar, access rules, the entry decision, door supervision, the schedule."""
