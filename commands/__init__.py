"""ccotel.commands: the `ccotel` command line, one module per subcommand; may import everything, imported by nothing."""
