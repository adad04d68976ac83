"""One module per `ccotel` subcommand: each has add_arguments(parser) and run(args) -> exit code."""
