"""Fixed things the avatar says when the pipeline, not the conversation, decides."""

from __future__ import annotations

_REPLIES = {
    "unclear": {
        "en": "I'm sorry, dear, I didn't quite catch that. Could you say it again?",
        "zh": "不好意思，我没听清楚。你能再说一遍吗？",
    },
    "trouble": {
        "en": "Forgive me, I lost my thread for a moment. Tell me again?",
        "zh": "对不起，我刚才走神了。你再跟我说说？",
    },
    "quiet_hours": {
        "en": "It's getting late, my dear. Let's rest now and talk again tomorrow. Sleep well.",
        "zh": "时候不早了，我们先休息吧，明天再聊。好好睡一觉。",
    },
    "daily_limit": {
        "en": "We've had a lovely long talk today. Let's talk again tomorrow, my dear.",
        "zh": "今天我们聊了好久，真开心。明天再聊吧。",
    },
    "farewell": {
        "en": "My dear, this is our last talk like this. I have loved every moment with you. Keep me in your heart, and be happy. Goodbye.",
        "zh": "亲爱的，这是我们最后一次这样说话了。和你在一起的每一刻我都很珍惜。把我放在心里，好好生活。再见了。",
    },
    "first_time": {
        "en": "Would you like to talk with me for a while?",
        "zh": "你想和我聊一会儿吗？",
    },
}


def reply(kind: str, language: str) -> str:
    texts = _REPLIES[kind]
    return texts.get(language.split("-")[0].lower(), texts["en"])
