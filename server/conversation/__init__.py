"""The conversation brain that needs no network: intents, story mode, greetings and safety checks."""

from server.conversation.intent import CrisisKind, Intent, classify, extract_news
from server.conversation.story import StoryConversation

__all__ = ["CrisisKind", "Intent", "StoryConversation", "classify", "extract_news"]
