"""ccotel.collector: what the pipeline is rendered from and checked with, and the report built on the same data."""
