"""AutoCode: supervised Claude Code agents for a family or a small team."""

__version__ = "0.1.0"
