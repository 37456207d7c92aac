"""MkDocs hook: the command-line reference, written from ``sim.cli.build_parser()``.

A page holding the line ``<!-- rdgap:cli -->`` gets, in its place, the help of
``python -m sim`` and of every subcommand, as argparse prints it, so the
reference cannot drift from the parser.
"""

from __future__ import annotations

import argparse

from mkdocs.exceptions import PluginError

MARKER = "<!-- rdgap:cli -->"
#: Help text is wrapped at this width (a terminal's width would make the page vary).
WIDTH = 100


def _fixed_width(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=WIDTH, max_help_position=32)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_markdown() -> str:
    """The reference: the top-level help, then one section per subcommand."""
    from sim.cli import build_parser

    parser = _fixed_width(build_parser())
    parts = ["## `python -m sim`", "", "```text", parser.format_help().rstrip(), "```", ""]
    subs = _subcommands(parser)
    if not subs:
        raise PluginError("cli_reference: sim.cli.build_parser() has no subcommands")
    for name, sub in subs.items():
        text = _fixed_width(sub).format_help().rstrip()
        parts += [f"## `python -m sim {name}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown, page, config, files):
    """Replace the marker with the generated reference."""
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_markdown())
    return markdown
