"""Text handling for speech: sentence splitting of streamed LLM output."""

from server.text.sentences import SentenceSplitter, is_speakable, speech_weight, split_sentences

__all__ = ["SentenceSplitter", "is_speakable", "speech_weight", "split_sentences"]
