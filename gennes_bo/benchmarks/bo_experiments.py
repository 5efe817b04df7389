"""The paper's BO experiments (digits logistic regression, Alpine1-d20). (being written)"""

from __future__ import annotations

import argparse


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("bo", help="The paper's BO experiments (digits logistic regression, Alpine1-d20). (being written)")
    parser.set_defaults(run=_main)


def _main(args: argparse.Namespace) -> int:
    raise NotImplementedError("being written")
