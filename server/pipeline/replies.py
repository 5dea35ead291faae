"""Fixed things the avatar says when the pipeline, not the conversation, decides."""

from __future__ import annotations

_REPLIES = {
    "unclear": {
        "en": "I'm sorry, dear, I didn't quite catch that. Could you say it again?",
        "zh": "不好意思，我没听清楚。你能再说一遍吗？",
    },
    "not_understood": {
        "en": "I'm sorry, my hearing isn't what it was. Could you say that once more?",
        "zh": "对不起，我没听明白。你能再说一次吗？",
    },
    "trouble": {
        "en": "Forgive me, I lost my thread for a moment. Tell me again?",
        "zh": "对不起，我刚才走神了。你再跟我说说？",
    },
    "crisis": {
        "en": "I'm so glad you told me. You matter so much. Please call someone right now, or the number on the screen, so a person can be with you.",
        "zh": "谢谢你告诉我。你对我很重要。请现在就给家人或屏幕上的号码打个电话，让人来陪陪你。",
    },
    "stop": {
        "en": "Of course, my dear. We can stop now. I'm always glad to see you.",
        "zh": "好的，我们就到这里吧。能见到你，我总是很开心。",
    },
}


def reply(kind: str, language: str) -> str:
    texts = _REPLIES[kind]
    return texts.get(language.split("-")[0].lower(), texts["en"])
