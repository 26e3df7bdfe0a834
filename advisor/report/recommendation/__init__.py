"""Renderers of one Recommendation, one module per format, each with ``render(rec) -> str``.

Pick one through ``advisor.report.render(rec, fmt)``; only ``text`` imports rich.
"""
