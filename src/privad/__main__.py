"""`python -m privad`: the command line."""

from privad.cli.app import main

main()
