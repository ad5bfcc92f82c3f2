"""``python -m restoretk``: the command line."""

from restoretk.cli import app

app(prog_name="restoretk")
