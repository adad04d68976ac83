"""The static checker of the Alloy pipeline: syntax, component schema, references, OTTL, `ccotel pipeline check`."""
