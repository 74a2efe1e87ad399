"""The call log: one JSON line per event, frames and decisions on one clock (writer.py);
callers' numbers masked (privacy.py)."""
