"""Print release: what a job costs before anything is paid (:mod:`~kiosk.printing.pricing`).

The rest of print release (fetching, paying, following the printer's own job) is to come."""
