"""ccotel.redaction: the secret-pattern catalogue, its RE2 engine and its OTTL renderer."""
