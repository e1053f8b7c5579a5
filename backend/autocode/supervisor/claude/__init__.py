"""The Claude Code CLI as the supervisor drives it, observed against Claude Code 2.1.330.

:mod:`.launch`: its environment, config dir and command line; :mod:`.transcript`: finding and
reading its JSONL transcript; :mod:`.records`: what the transcript says, as data.
"""
