"""Terminal rendering of a Recommendation with rich: panels and tables, colour when a TTY."""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from advisor.recommendation import Recommendation
from advisor.report.recommendation.common import COST_COLUMNS, break_even_sentence, cost_cells

VERDICT_STYLE = {"prompt": "cyan", "fine-tune": "magenta", "prompt-then-fine-tune": "yellow"}
RATING_STYLE = {"low": "green", "medium": "yellow", "high": "red"}
FAVOURS_STYLE = {"fine-tune": "magenta", "prompt": "cyan", "neutral": "dim"}


def _bar(fraction: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def verdict_panel(rec: Recommendation) -> Panel:
    style = VERDICT_STYLE.get(rec.verdict, "white")
    rows: list[tuple[str, str, str]] = [
        ("Verdict", rec.verdict, f"bold {style}"),
        ("Method", rec.method, "bold"),
        ("Confidence", f"{_bar(rec.confidence)} {rec.confidence:.0%}", ""),
        *([("", rec.confidence_note, "dim")] if rec.confidence_note else []),
        ("Score", f"{rec.score:+.2f}  (positive favours fine-tuning)", ""),
    ]
    if rec.alternatives:
        rows.append(("Alternatives", ", ".join(rec.alternatives), ""))
    grid = Table.grid(padding=(0, 1))  # a grid so that a long value wraps under itself
    grid.add_column(style="bold", min_width=12)
    grid.add_column()
    for label, value, value_style in rows:
        grid.add_row(label, Text(value, style=value_style))
    body = Group(grid, Text(f"\n{rec.summary}"))
    return Panel(body, title="advisor recommend", border_style=style, expand=False)


def profile_table(rec: Recommendation) -> Table:
    table = Table(title="Profile", title_justify="left", show_edge=False)
    table.add_column("field")
    table.add_column("value")
    table.add_column("from", style="dim")
    for name, value in rec.profile.model_dump(mode="json").items():
        source = rec.profile_sources.get(name, "default")
        table.add_row(name, escape(str(value)), escape(source))
    return table


def reasons_table(rec: Recommendation) -> Table:
    table = Table(title="Reasons (signed points: + fine-tune, - prompt)", title_justify="left")
    table.add_column("points", justify="right")
    table.add_column("reason", ratio=3)
    table.add_column("source", ratio=2)
    for r in sorted(rec.reasons, key=lambda r: -abs(r.weight)):
        style = "magenta" if r.weight > 0 else "cyan"
        src = r.source
        cite = (
            f"{src.title}" + (f" ({src.year})" if src.year else "") + f" [{src.kind}]\n{src.figure}"
        )
        table.add_row(Text(f"{r.weight:+.2f}", style=style), escape(r.statement), escape(cite))
    return table


def aspects_table(rec: Recommendation) -> Table:
    table = Table(title="The 10 aspects, judged for this task", title_justify="left")
    table.add_column("aspect", style="bold", no_wrap=True)
    table.add_column("favours")
    table.add_column("why, for this profile", ratio=1)
    for a in rec.aspects:
        table.add_row(a.name, Text(a.favours, style=FAVOURS_STYLE[a.favours]), escape(a.judgement))
    return table


def challenges_table(rec: Recommendation) -> Table:
    table = Table(title="The 7 fine-tuning challenges, rated", title_justify="left")
    table.add_column("challenge", style="bold", no_wrap=True)
    table.add_column("risk")
    table.add_column("why", ratio=1)
    table.add_column("mitigation", ratio=2)
    for c in rec.challenges:
        why = c.why + (f"\nmeasured: {c.measured}" if c.measured else "")
        table.add_row(
            c.name, Text(c.rating, style=RATING_STYLE[c.rating]), escape(why), escape(c.mitigation)
        )
    return table


def plan_renderables(rec: Recommendation) -> list:
    plan = rec.plan
    out: list = []
    if plan.checklist:
        table = Table(title="Prompt plan: the 3Cs", title_justify="left")
        table.add_column("C", style="bold")
        table.add_column("what to do")
        for item in plan.checklist:
            table.add_row(item.name, escape("\n".join(f"- {a}" for a in item.advice)))
        out.append(table)
    if plan.prompt_skeleton:
        out.append(Panel(escape(plan.prompt_skeleton), title="Draft prompt", expand=False))
    if plan.steps:
        title = "Fine-tuning plan: 7 steps" + (
            " (when prompting falls short)" if plan.checklist else ""
        )
        table = Table(title=title, title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("step", style="bold", no_wrap=True)
        table.add_column("what to do", ratio=1)
        for s in plan.steps:
            table.add_row(str(s.number), s.name, escape(s.detail))
        out.append(table)
    if plan.hyperparameters:
        hp = "  ".join(f"{k}={v}" for k, v in plan.hyperparameters.items())
        out.append(Text.assemble(("Hyperparameters ", "bold"), hp))
    return out


def cost_renderables(rec: Recommendation) -> list:
    cost = rec.cost
    table = Table(title="Cost", title_justify="left")
    for col in COST_COLUMNS:
        table.add_column(col, justify="left" if col == "method" else "right")
    for m in cost.methods:
        table.add_row(*cost_cells(m))
    notes = Text()
    if sentence := break_even_sentence(cost, rec.profile.monthly_queries):
        notes.append(sentence + "\n")
    notes.append(f"Prices: {cost.price_table}", style="dim")
    if cost.assumptions:
        notes.append("\nAssumptions:", style="dim")
    for a in cost.assumptions:
        notes.append(f"\n- {a}", style="dim")
    return [table, notes]


def renderables(rec: Recommendation) -> Group:
    parts: list = [verdict_panel(rec)]
    if rec.constraints or rec.excluded_methods:
        lines = [f"- {c}" for c in rec.constraints]
        if rec.excluded_methods:
            lines.append(f"excluded methods: {', '.join(rec.excluded_methods)}")
        parts.append(Panel(escape("\n".join(lines)), title="Hard constraints", expand=False))
    parts += [reasons_table(rec), aspects_table(rec), challenges_table(rec)]
    parts += plan_renderables(rec)
    parts += cost_renderables(rec)
    parts.append(profile_table(rec))
    return Group(*parts)


def print_text(rec: Recommendation, console: Console | None = None) -> None:
    """Print to the terminal (colour and width follow the console)."""
    console = console or Console()
    console.print(renderables(rec))
    console.print(Text("Validate this advice on your data:", style="bold green"))
    # Never wrapped or boxed, so it can be copied and pasted as is.
    console.print(rec.benchmark_command, soft_wrap=True, markup=False, highlight=False)
    console.print(Text(f"advisor {rec.version}", style="dim"))


def render(rec: Recommendation, width: int = 120) -> str:
    """Plain text (no colour codes), for files and tests."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False)
    print_text(rec, console)
    return buf.getvalue()
