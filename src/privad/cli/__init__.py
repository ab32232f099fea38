"""The `privad` command line (see `privad.cli.app`)."""
