"""ccotel.hook: transcripts to OpenTelemetry GenAI spans over OTLP, its state and spool, and Claude Code settings."""
