"""The usage report and its analyses, from local transcripts or a Langfuse project, as text, HTML and JSON."""
