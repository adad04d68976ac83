"""ccotel.hook: Claude Code transcripts to OpenTelemetry GenAI spans, and the ccotel command line."""
