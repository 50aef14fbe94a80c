"""Builds the objects and wires them together (kiosk, door, LMS, central, GUI). No rules."""
