"""Built-in commands; each module holds one verb.

``BUILTIN_COMMANDS`` names them without importing them: ``advisor.cli`` loads a command's
module only when that command runs, so ``advisor --help`` and ``advisor recommend --json``
never pay for the imports of ``benchmark`` or ``train``.
"""

from __future__ import annotations

from typing import NamedTuple


class CommandEntry(NamedTuple):
    target: str  # "module:attribute" of the click command
    help: str  # its line in `advisor --help`


BUILTIN_COMMANDS: dict[str, CommandEntry] = {
    "recommend": CommandEntry(
        "advisor.commands.recommend:recommend",
        "Advice for a task profile: fine-tune or prompt, why, risks, plan and cost "
        "(instant, no model needed).",
    ),
    "cost": CommandEntry(
        "advisor.commands.cost:cost",
        "What adapting a model costs: memory, training compute, dollars, per-query cost.",
    ),
    "profile": CommandEntry(
        "advisor.commands.profile:profile",
        "Profile a JSONL/CSV data file: size, labels, balance, lengths, duplicates.",
    ),
    "benchmark": CommandEntry(
        "advisor.commands.benchmark:benchmark",
        "Run prompt strategies and fine-tunes on your data, compare, and check the advice.",
    ),
    "train": CommandEntry(
        "advisor.commands.train:train",
        "Fine-tune a model on your data; writes an adapter PEFT can load.",
    ),
    "models": CommandEntry(
        "advisor.commands.models:models",
        "List available models (local only; nothing is downloaded).",
    ),
    "plugins": CommandEntry(
        "advisor.commands.plugins:plugins",
        "List the built-in and installed plugins and what each provides.",
    ),
}
