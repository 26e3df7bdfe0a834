"""JSON rendering: the Recommendation model as one document (schema: Recommendation.model_json_schema())."""

from __future__ import annotations

from advisor.recommendation import Recommendation


def render(rec: Recommendation) -> str:
    return rec.model_dump_json(indent=2) + "\n"
