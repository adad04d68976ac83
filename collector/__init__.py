"""ccotel.collector: the price table, metric catalogue, Alloy renderers and the static pipeline checker."""
