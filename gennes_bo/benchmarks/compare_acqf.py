"""Acquisition optimizers compared on GP states frozen from real BO runs. (being written)"""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("compare-acqf", help="Acquisition optimizers compared on GP states frozen from real BO runs. (being written)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    raise NotImplementedError("being written")
