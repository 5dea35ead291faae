"""The shipped vectors of the example sets: fresh for today's examples, and never used when stale."""

import numpy as np

from server.conversation.example_sets import example_sets
from server.text import embedding, example_vectors


def test_every_shipped_set_was_made_from_todays_examples() -> None:
    # Fails after an example is added or changed: run `python -m server.conversation.example_sets`.
    for name, texts in example_sets().items():
        assert example_vectors.is_fresh(name, texts()), f"{name}: python -m server.conversation.example_sets"


def test_shipped_vectors_are_the_models_own(tmp_path, monkeypatch) -> None:
    texts = example_sets()["acts"]()[:20]
    monkeypatch.setattr(example_vectors, "FOLDER", tmp_path)
    example_vectors.write("sample", texts, tmp_path)
    with np.load(tmp_path / "sample.npz") as stored:
        shipped = stored["vectors"].astype(np.float32)
    # float16 moves each similarity by far less than any threshold's precision.
    assert np.abs(shipped @ shipped.T - embedding.embed(texts) @ embedding.embed(texts).T).max() < 2e-3


def test_a_set_whose_texts_changed_is_embedded_afresh() -> None:
    texts = example_sets()["safety"]()
    changed = [*texts[:-1], texts[-1] + " (changed)"]
    assert not example_vectors.is_fresh("safety", changed)
    vectors = example_vectors.vectors_for("safety", changed)
    assert vectors.shape == (len(changed), embedding.DIMENSIONS)
    assert np.allclose(vectors[-1], embedding.embed([changed[-1]])[0], atol=1e-5)
    assert not example_vectors.is_fresh("nothing-shipped", texts)
