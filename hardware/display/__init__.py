"""The terminal's display: its backlight."""
