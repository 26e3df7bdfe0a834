"""``AdvisorHFLM``: lm-eval's ``HFLM`` with shared-prefix log-likelihoods and a progress callback.

lm-eval scores a multiple-choice item as one full forward pass per choice (its one-token logits
cache helps only when every choice is a single token). Here requests are grouped by their
context tokens and each group goes through the shared-prefix kernel of
``advisor_peft.scoring``: the context runs once, the choices are scored from its key/value
cache. Tokenisation is lm-eval's own (``_encode_pair`` has already run when
``_loglikelihood_tokens`` is called), so the per-request ``(log-probability, is_greedy)`` pairs
are HFLM's to float tolerance. Registered as lm-eval model ``advisor-hf`` on import; this module
imports lm-eval, so only the runner imports it, inside ``run``.
"""

from __future__ import annotations

from typing import Any

from advisor_peft.scoring import ChoiceGroup, pad_id_of, score_groups
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from advisor.components import Progress

DEFAULT_CONTEXTS_PER_BATCH = 16  # when lm-eval's batch size is "auto"


@register_model("advisor-hf")
class AdvisorHFLM(HFLM):
    """HFLM whose log-likelihoods share each context's pass, reporting progress to a callback
    instead of drawing tqdm bars."""

    on_progress: Progress | None = None
    _done = 0
    _total = 0

    def _start(self, n: int) -> None:
        self._done, self._total = 0, n
        self._tick(0)

    def _tick(self, rows: int) -> None:
        self._done = min(self._total, self._done + rows)
        if self.on_progress:
            self.on_progress(self._done, self._total)

    def loglikelihood(self, requests, disable_tqdm: bool = False):  # type: ignore[override]
        self._start(len(requests))
        out = super().loglikelihood(requests, disable_tqdm=True)
        self._tick(self._total)
        return out

    def generate_until(self, requests, disable_tqdm: bool = False):  # type: ignore[override]
        self._start(len(requests))
        out = super().generate_until(requests, disable_tqdm=True)
        self._tick(self._total)
        return out

    def _model_call(self, inps, *args, **kwargs):  # type: ignore[override]
        out = super()._model_call(inps, *args, **kwargs)
        self._tick(int(inps.shape[0]))
        return out

    def _model_generate(self, context, *args, **kwargs):  # type: ignore[override]
        out = super()._model_generate(context, *args, **kwargs)
        self._tick(int(context.shape[0]))
        return out

    def _loglikelihood_tokens(  # type: ignore[override]
        self,
        requests: list[tuple[tuple[str, str], list[int], list[int]]],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        """Requests that fit the model's window go through the shared-prefix kernel; the rest
        (HFLM truncates them from the left, so their prefixes are no longer shared) and
        encoder-decoder models take HFLM's own path."""
        if self.backend != "causal":
            return super()._loglikelihood_tokens(requests, True, override_bs)
        fits = [len(r[1]) + len(r[2]) <= self.max_length + 1 for r in requests]
        res: list[tuple[float, bool] | None] = [None] * len(requests)
        members: dict[tuple[int, ...], list[int]] = {}
        for i, (_, context, _) in enumerate(requests):
            if fits[i]:
                members.setdefault(tuple(context), []).append(i)
        groups = [
            ChoiceGroup(list(ctx), [requests[i][2] for i in idx]) for ctx, idx in members.items()
        ]
        batch = self.batch_size if isinstance(self.batch_size, int) else None
        scored = score_groups(
            self.model,
            groups,
            pad_id=pad_id_of(self.tokenizer),
            batch_size=override_bs or batch or DEFAULT_CONTEXTS_PER_BATCH,
            on_batch=self._tick,
        )
        for idx, row in zip(members.values(), scored, strict=True):
            for i, answer in zip(idx, row, strict=True):
                res[i] = answer
                if requests[i][0] is not None:  # as HFLM: lm-eval's request cache, if one is set
                    self.cache_hook.add_partial("loglikelihood", requests[i][0], answer)
        rest = [i for i, ok in enumerate(fits) if not ok]
        if rest:
            long = super()._loglikelihood_tokens([requests[i] for i in rest], True, override_bs)
            for i, answer in zip(rest, long, strict=True):
                res[i] = answer
        return [a for a in res if a is not None]


def make_lm(model: Any, tokenizer: Any, batch_size: int, on_progress: Progress | None) -> HFLM:
    """The lm-eval model around an in-memory transformers model, on the model's own device."""
    device = next(model.parameters()).device
    lm = AdvisorHFLM(
        pretrained=model, tokenizer=tokenizer, batch_size=batch_size, device=str(device)
    )
    lm.on_progress = on_progress
    return lm
