"""`advisor profile FILE`: measure a data file and say what to fix before adapting a model."""

from __future__ import annotations

import json

import click

from advisor.errors import DataError


@click.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--test",
    "test_file",
    type=click.Path(path_type=str),
    help="Test file: checks train/test overlap and labels.",
)
@click.option("--text-field", help="Field holding the input text (default: text or input).")
@click.option("--label-field", help="Field holding the label/output (default: label or output).")
@click.option(
    "--no-perplexity", is_flag=True, help="Skip the domain-shift estimate (no model is run)."
)
@click.option(
    "--model", help="Model for token counts and perplexity (default: the embedded SmolLM2-135M)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
def profile(
    file: str,
    test_file: str | None,
    text_field: str | None,
    label_field: str | None,
    no_perplexity: bool,
    model: str | None,
    as_json: bool,
) -> None:
    """Profile a JSONL/CSV data file: size, labels, balance, lengths, duplicates,
    train/test overlap, bad rows and domain shift, with what to do about each problem.

    Exits 2 when the file cannot be used (missing fields, empty, a single class).
    """
    from advisor.profiling import profile_from_data

    dp = profile_from_data(
        file,
        test_path=test_file,
        text_field=text_field,
        label_field=label_field,
        model=model,
        perplexity=not no_perplexity,
        raise_on_fatal=False,
    )
    if as_json:
        out = dp.model_dump(mode="json")
        out["values"] = dp.values
        click.echo(json.dumps(out, indent=2))
    else:
        _render(dp)
    if dp.fatal:
        raise DataError(f"{file}: {dp.fatal[0].problem}")


def _render(dp) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    t = Table(title=f"Data profile: {escape(dp.path)}", show_header=True, header_style="bold")
    t.add_column("measure")
    t.add_column("value", overflow="fold")

    def row(name: str, value: object) -> None:
        t.add_row(name, escape(str(value)))

    row("fields", f"{dp.text_field} -> {dp.label_field}")
    row("examples", f"{dp.examples} usable of {dp.rows_read} rows")
    row("task type", dp.task_type + (f" ({dp.output_format} output)" if dp.output_format else ""))
    if dp.num_labels is not None:
        row("labels", dp.num_labels)
        shown = list(dp.label_counts.items())[:12]
        more = f" (+{len(dp.label_counts) - 12} more)" if len(dp.label_counts) > 12 else ""
        row("label counts", ", ".join(f"{k}: {v}" for k, v in shown) + more)
        row("smallest class", f"{dp.smallest_class[0]} ({dp.smallest_class[1]})")
        row("imbalance", f"{dp.imbalance_ratio:g} : 1")
    for name, stats in (("input length", dp.input_lengths), ("output length", dp.output_lengths)):
        if stats:
            row(
                name,
                f"{stats.unit}: mean {stats.mean:g}, median {stats.p50:g}, p90 {stats.p90:g}, "
                f"p99 {stats.p99:g}, max {stats.max} (sample {stats.sample_size}; {stats.counter}); "
                f"chars mean {stats.chars_mean:g}, max {stats.chars_max}",
            )
    est = " (estimated)" if dp.duplicates_estimated else ""
    row(
        "duplicates",
        f"{dp.exact_duplicates} exact, {dp.near_duplicates} near, "
        f"{dp.conflicting_duplicates} conflicting{est}; "
        f"{dp.fuzzy_duplicate_pairs} similar pairs in a sample of {dp.fuzzy_sample_size}",
    )
    if dp.test_path:
        row(
            "test set",
            f"{dp.test_examples} examples; {dp.train_test_overlap} train rows also in test",
        )
    row("bad rows", dp.bad_rows)
    if dp.domain_shift:
        d = dp.domain_shift
        row(
            "domain shift",
            f"{d.level}: per-character perplexity {d.perplexity_data:g} vs {d.perplexity_general:g} on general text "
            f"(x{d.ratio:g}; {d.sample_size} texts, {d.model})",
        )
    else:
        row("domain shift", "not measured")
    row("profile values", ", ".join(f"{k}={v}" for k, v in dp.values.items()))
    console.print(t)
    for note in dp.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")
    if dp.bad_row_examples:
        console.print(f"[bold]Bad rows[/bold] (first {len(dp.bad_row_examples)}):")
        for b in dp.bad_row_examples[:10]:
            console.print(f"  line {b.line}: {escape(b.problem)}")
    if not dp.problems:
        console.print("[green]No problems found.[/green]")
        return
    p = Table(title="Problems and what to do", show_header=True, header_style="bold")
    p.add_column("severity")
    p.add_column("problem", overflow="fold")
    p.add_column("what to do", overflow="fold")
    colour = {"error": "red", "warning": "yellow", "info": "cyan"}
    for prob in dp.problems:
        p.add_row(
            f"[{colour[prob.severity]}]{prob.severity}[/]",
            escape(prob.problem),
            escape(prob.action),
        )
    console.print(p)
