"""The labelled example sets whose embeddings ship beside them (``server/text/example_vectors.py``).

Here, not in ``server.text``, because the sets belong to the conversation checks that read them:
the text layer stores vectors for any set and knows none of them.
``python -m server.conversation.example_sets`` writes the shipped vectors again; a test says when
that is due.
"""

from __future__ import annotations

from collections.abc import Callable

from server.conversation import acts, safety_meaning
from server.text import example_vectors


def example_sets() -> dict[str, Callable[[], list[str]]]:
    """Each shipped set and how its module reads its examples' texts."""
    return {"safety": safety_meaning.example_texts, "acts": acts.example_texts}


def main() -> None:
    for name, texts in example_sets().items():
        print(example_vectors.write(name, texts()))


if __name__ == "__main__":
    main()
