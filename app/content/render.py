"""How a quiz item looks on a learner's phone. One function, used by the engine that
sends it and by the validator that prices it, so the cost table is the real cost."""
from __future__ import annotations


def render_question(question: str, options: list[str], number: int | None = None,
                    total: int | None = None) -> str:
    """``Q2/5 question`` then one ``1) option`` line per option."""
    head = f"Q{number}/{total} {question}" if number and total else question
    return "\n".join([head, *(f"{i}) {text}" for i, text in enumerate(options, start=1))])
