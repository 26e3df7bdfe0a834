"""--chat-template: one wrapping (advisor_peft.chat.as_chat) for training, validation scoring
and the lm-eval runner; a model without a template is a clear error (fast: a stub tokenizer)."""

from __future__ import annotations

import pytest
from advisor_lmeval.runner import chat_suite
from advisor_peft.chat import as_chat
from advisor_peft.collate import encode, format_example
from advisor_peft.hf import HFModel

from advisor.components import Example, PromptDoc, PromptSuite, TaskData
from advisor.errors import UsageError


class StubTokenizer:
    chat_template = "{{ messages }}"
    pad_token_id = 0
    eos_token_id = 1

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        special = [2] if add_special_tokens else []
        return {"input_ids": special + [ord(c) for c in text]}

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False) -> str:
        assert not tokenize and add_generation_prompt and messages[0]["role"] == "user"
        return f"<user>{messages[0]['content']}</user><assistant>"


DATA = TaskData(
    name="t",
    task_type="classification",
    examples=[Example(input="my card was charged twice", output="billing")],
    labels=["billing", "shipping"],
)


def test_training_encodes_the_prompt_as_the_users_turn():
    tok = StubTokenizer()
    prompt, _ = format_example(DATA.examples[0], DATA)
    plain = encode(DATA.examples[0], DATA, tok, 512)
    chat = encode(DATA.examples[0], DATA, tok, 512, chat=True)
    assert "".join(map(chr, chat.prompt)) == f"<user>{prompt}</user><assistant>"
    assert plain.prompt[0] == 2 and chat.prompt[0] != 2  # the template brings its own tokens
    assert chat.answer == plain.answer  # the answer is the assistant's turn, unchanged


def test_the_runner_scores_the_same_wrapping_under_its_own_task_name():
    tok = StubTokenizer()
    doc = PromptDoc(id=0, input="x", prompt="Input: x\nCategory:", target="billing")
    suite = PromptSuite(
        name="advisor_t_zero_shot",
        strategy="zero-shot",
        description="d",
        task_type="classification",
        docs=[doc],
        choices=["billing", "shipping"],
    )
    wrapped = chat_suite(suite, tok)
    assert wrapped.name == "advisor_t_zero_shot_chat" and suite.docs[0].prompt == doc.prompt
    assert wrapped.docs[0].prompt == as_chat(tok, doc.prompt)


def test_a_tokenizer_without_a_template_is_a_clear_error():
    class Plain(StubTokenizer):
        chat_template = None

    model = HFModel("plain", model=None, tokenizer=Plain())
    with pytest.raises(UsageError, match="no chat template"):
        model.use_chat_template()
    with pytest.raises(UsageError, match="no chat template"):
        as_chat(Plain(), "hi")
    chatty = HFModel("chatty", model=None, tokenizer=StubTokenizer())
    chatty.use_chat_template()
    assert chatty.with_model(None).chat  # a fine-tune of it keeps the format


def test_a_model_that_cannot_apply_a_template_stops_the_benchmark_with_one_line(tmp_path):
    from test_goldens import run_fake_benchmark

    with pytest.raises(UsageError, match="cannot apply a chat template"):
        run_fake_benchmark(tmp_path / "run", chat_template=True)
