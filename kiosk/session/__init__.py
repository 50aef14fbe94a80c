"""Who is at the terminal: identification, PIN and lock-out, idle time, the privacy reset."""
