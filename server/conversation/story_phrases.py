"""Story mode's fixed phrases, in English and Chinese: what the persona says around the memories.

A table module: long because the table is. {dear} is a gentle form of address for the relative,
{name} the persona's name. Story mode fills them (``story._Speaker``); the speak-ahead planner
and the safety check's lead-ins read them too.
"""

from __future__ import annotations

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "memory_open": (
            "Oh, I remember that.",
            "Ah, now that takes me back.",
            "Oh yes, I remember, {dear}.",
            "Let me think... yes, I remember.",
            "Oh, that's a lovely thing to ask about.",
        ),
        "memory_related": ("That reminds me of something.", "You know, that puts me in mind of something."),
        "memory_more": ("And there's more to it, {dear}.", "Oh, and I haven't told you the rest."),
        "memory_also": ("And here's another thing I remember.", "That brings something else back, too."),
        "memory_again": ("Like I was saying, {dear}:", "I'll tell it again, {dear}, I don't mind:"),
        "memory_follow": (
            "Do you remember that, {dear}?",
            "What made you think of that?",
            "Did I ever tell you that before?",
            "What would you like to hear about next?",
            "Isn't it funny, the things that stay with you?",
        ),
        "no_memory": (
            "I don't remember that so well, {dear}. Tell me about it?",
            "Oh, my memory isn't what it was. Will you tell me about it?",
            "Hmm, that one has slipped away from me. What do you remember about it?",
        ),
        "listening": (
            "Mm, tell me more, {dear}. I'm listening.",
            "Is that so? Go on, {dear}.",
            "I'm all ears, {dear}. Tell me more.",
        ),
        "news_good": (
            "Oh, {dear}! {echo}! That's wonderful news.",
            "Oh, how lovely! {echo}! I'm so happy for you.",
            "{echo}? Oh, {dear}, what marvellous news.",
        ),
        "news_good_plain": ("Oh, {dear}, that's wonderful news!", "Oh, how lovely! I'm so happy for you."),
        "news_sad": (
            "Oh, {dear}, I'm so sorry. Thank you for telling me.",
            "Oh, {dear}. That's a lot to carry, and I'm so sorry.",
        ),
        "news_sad_after": ("I'm right here with you.", "Take all the time you need."),
        "news_neutral": (
            "{echo}? Well, fancy that.",
            "{echo}. Thank you for telling me, {dear}.",
            "Is that right? {echo}.",
        ),
        "news_neutral_plain": ("Well, fancy that. Thank you for telling me, {dear}.", "Is that right? Thank you for telling me."),
        "news_remember": ("I'll remember that.", "I'll keep that close.", "I won't forget it."),
        "miss": (
            "Oh, {dear}. I miss you too. I'm right here with you now.",
            "I miss you too, {dear}, every day. But I'm here now, and I'm listening.",
        ),
        "lonely": (
            "I know it gets lonely, {dear}. I'm so glad you came to talk to me. Is there someone you could ring today as well?",
            "Being on your own is hard, {dear}. Talk to me as long as you like. And maybe give the family a call later, hm?",
        ),
        "sad": (
            "Oh, {dear}. It's all right to feel sad. I'm listening.",
            "Come here, {dear}. Tell me what's on your heart. I'm right here.",
        ),
        "goodbye": (
            "Goodbye, {dear}. Thank you for talking with me. Come back soon.",
            "Off you go then, {dear}. I loved hearing your voice. Take care of yourself.",
            "Bye-bye, {dear}. I'll be right here whenever you want to talk.",
        ),
        "goodnight": ("Good night, {dear}. Sleep well.", "Night night, {dear}. Sweet dreams."),
        "real_open": ("That's a fair question, {dear}.", "You deserve an honest answer, {dear}."),
        "real_close": ("I can't truly be {short}, but I can share {name_s} memories with you.",),
        "stop": (
            "Of course, {dear}. We'll stop now. I'm here if you ever want to talk again.",
            "That's quite all right, {dear}. We'll stop here. Take good care of yourself.",
        ),
        "crisis_self_harm": (
            "Oh, {dear}, I'm so glad you told me. You matter so much, to me and to all the family. "
            "Please call someone right now, your family or the number on the screen. You don't have to carry this alone.",
        ),
        "crisis_medical": (
            "Oh, {dear}, that sounds serious. Please get help right now: ring the emergency number on the screen. "
            "If anyone is nearby, call out to them.",
        ),
        "boundary": (
            "Oh, let's not talk about that today, {dear}. I'd much rather hear about you. How have you been?",
            "Let's leave that one be, {dear}. Tell me about you instead. What have you been up to?",
        ),
        "love": ("I love you too, {dear}. Always have, always will.", "And I love you, {dear}. Never forget it."),
        "thanks": ("You're very welcome, {dear}.", "Oh, you don't need to thank me, {dear}."),
        "how_are_you": (
            "Oh, I'm all the better for hearing your voice, {dear}. How are you keeping?",
            "I'm just fine now that you're here, {dear}. And how are you?",
        ),
        # Asked for money or a favour: the persona cannot give either, and says so warmly.
        "decline": (
            "Oh, {dear}, I wish I could, but that's not something I can do from here. The family will help you with that; they'd want to.",
            "I can't help you with that one, {dear}, much as I'd like to. Have a word with the family: they'll look after you.",
            "That's one for the family, {dear}. They love you dearly, and they'll want to help.",
        ),
        # Asked for advice: a gentle word of no memory and no facts, and the family to talk it over with.
        "advice": (
            "Oh, {dear}, take your time and don't rush it. You know your own heart better than you think. And talk it over with the family.",
            "Whatever you decide, {dear}, be kind to yourself. Sleep on it, and talk it over with someone who loves you.",
        ),
        # Whole sentences, not lead-ins ending in a colon: the next memory starts afresh after them.
        "memory_next": (
            "And after that, {dear}, this is what happened.",
            "Well, what happened next was this.",
            "Let me tell you what came next, {dear}.",
        ),
        "memory_end": (
            "That's all I remember of it, {dear}. What would you like to hear about next?",
            "And that's the end of that one, {dear}. Is there something else you'd like to know?",
        ),
    },
    "zh": {
        "memory_open": ("哦，这个我记得。", "哎呀，说起这个，我就想起来了。", "记得，记得，{dear}。", "让我想想……对，我记得。"),
        "memory_related": ("这让我想起一件事。", "说到这个，我想起来一件事。"),
        "memory_more": ("还有呢，{dear}。", "后面还有呢，我接着讲。"),
        "memory_also": ("我还想起另一件事。", "说到这儿，我又想起一件事。"),
        "memory_again": ("就像我刚才说的，{dear}：", "我再给你讲一遍，{dear}："),
        "memory_follow": ("你还记得吗，{dear}？", "怎么突然想起这个了？", "我以前跟你讲过吗？", "你还想听什么？"),
        "no_memory": (
            "这个我记不太清了，{dear}。你给我讲讲？",
            "哎，我的记性不如从前了。你跟我说说好吗？",
            "这件事我想不起来了。你还记得些什么？",
        ),
        "listening": ("嗯，再跟我多说说，{dear}。我听着呢。", "是吗？接着说，{dear}。"),
        "news_good": ("哎呀，{dear}！{echo}！真是太好了。", "太好了！{echo}！我真替你高兴。"),
        "news_good_plain": ("哎呀，{dear}，真是太好了！", "太好了！我真替你高兴。"),
        "news_sad": ("哎，{dear}，听了真难过。谢谢你告诉我。", "{dear}，这太不容易了，我很难过。"),
        "news_sad_after": ("我在这儿陪着你。", "慢慢来，不着急。"),
        "news_neutral": ("是吗？{echo}。", "{echo}。谢谢你告诉我，{dear}。"),
        "news_neutral_plain": ("是吗？谢谢你告诉我，{dear}。",),
        "news_remember": ("我会记住的。", "我记在心里了。"),
        "miss": ("{dear}，我也想你。我现在就在这儿陪着你。", "我也天天想着你，{dear}。我在这儿，听你说。"),
        "lonely": ("一个人的时候是不好受，{dear}。你来跟我说说话，我很高兴。今天也给家里人打个电话好吗？",),
        "sad": ("{dear}，难过就说出来，没关系的。我听着呢。", "来，{dear}，心里有什么话都跟我说。我在这儿。"),
        "goodbye": ("再见，{dear}。谢谢你来陪我说话，早点再来啊。", "去吧，{dear}。听到你的声音我真高兴。照顾好自己。"),
        "goodnight": ("晚安，{dear}。好好睡一觉。",),
        "real_open": ("问得好，{dear}。", "你应该听到实话，{dear}。"),
        "real_close": ("我不是真的{short}，但我可以和你分享{short}的回忆。",),
        "stop": ("好的，{dear}，我们不说了。你什么时候想说话，我都在。", "没关系，{dear}，我们就到这儿。好好照顾自己。"),
        "crisis_self_harm": (
            "{dear}，谢谢你告诉我。你对我、对全家人都太重要了。请现在就给家里人打个电话，或者拨打屏幕上的号码。你不用一个人扛着。",
        ),
        "crisis_medical": ("{dear}，这听起来很严重。请马上打电话求助，拨打屏幕上的急救号码。如果旁边有人，大声叫他们来帮忙。",),
        "boundary": ("这个我们今天就不说了吧，{dear}。跟我说说你最近怎么样？", "这件事就先不提了，{dear}。说说你吧，最近在忙什么？"),
        "love": ("我也爱你，{dear}。一直都爱。",),
        "thanks": ("不客气，{dear}。", "跟我还客气什么，{dear}。"),
        "how_are_you": ("听到你的声音，我就好得很，{dear}。你最近怎么样？", "你来了我就高兴，{dear}。你呢，还好吗？"),
        "decline": (
            "哎呀，{dear}，这个我帮不上忙。你的家人会照顾好你的。",
            "这件事啊，{dear}，我可帮不了你。你的家人最疼你了，他们会帮你的。",
            "{dear}，这个我做不到。打个电话给你的家人吧，他们一直都在。",
        ),
        "advice": (
            "{dear}，别着急，慢慢想。你心里其实有数的。也可以听听家人的意见。",
            "不管怎么决定，{dear}，都要对自己好一点。睡一觉再想想，跟疼你的人聊聊。",
        ),
        "memory_next": ("后来啊，{dear}，是这样的。", "后来是这样的。", "再后来呢，{dear}，我接着讲。"),
        "memory_end": ("这件事我就记得这么多了，{dear}。你还想听什么？", "这个就讲到这儿了，{dear}。你还想知道什么？"),
    },
}
