"""One module per `grader` subcommand, each with add_arguments(parser) and main(args) -> int."""
