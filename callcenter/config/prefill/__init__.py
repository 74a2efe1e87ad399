"""The pre-fill rule language (prefill.yaml): what the pre-fill of a ticket reads, checked with
the rest of the configuration."""
