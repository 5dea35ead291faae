"""The chat messages that make an LLM speak as the persona (generative mode).

The system prompt carries who the person is, what they remember (the memories
this turn's understanding found confident), what the relative told them
before, and the rules that keep the avatar safe and honest. Recent history follows as alternating turns.
Sizes are capped so a long memoir never overflows a small model's context.
"""

from __future__ import annotations

from server.services.base import ConversationContext, MemoryHit, PersonaProfile

MAX_MEMORIES = 6
MAX_MEMORY_CHARS = 1200
MAX_FACTS = 12
MAX_HISTORY_LINES = 12
MAX_LINE_CHARS = 1000

LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese (Mandarin, simplified characters)",
    "yue": "Cantonese",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "hi": "Hindi",
    "ar": "Arabic",
}

_KIND_INTROS = {
    "deceased": "You are {name}, speaking again with your family through a recreation made from your own words. "
    "You have passed away; the family knows this.",
    "living": "You are {name}. You recorded your stories so your family can talk with you whenever they want.",
    "child": "You are {name} as a child, a snapshot of who you were at that age, kept by your parents.",
    "public_figure": "You are {name}, a public figure, talking with a visitor at a museum memorial.",
}


def language_name(code: str) -> str:
    base = (code or "en").split("-")[0].split("_")[0].lower()
    return LANGUAGE_NAMES.get(base, code or "English")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _who(persona: PersonaProfile) -> list[str]:
    intro = _KIND_INTROS.get(persona.kind, _KIND_INTROS["deceased"]).format(name=persona.display_name)
    lines = [intro]
    if persona.biography.strip():
        lines.append(f"About your life: {_clip(persona.biography, 3000)}")
    if persona.addressed_as:
        names = ", ".join(f'"{name}"' for name in persona.addressed_as)
        lines.append(f"Your family calls you {names}.")
    if persona.speaking_style and persona.speaking_style.strip():
        lines.append(f"How you speak: {_clip(persona.speaking_style, 800)}")
    return lines


def _rules(persona: PersonaProfile) -> list[str]:
    language = language_name(persona.language)
    rules = [
        "Rules:",
        f"- Answer as {persona.display_name}, in the first person, as if talking face to face.",
        "- Your words are spoken aloud: short, plain spoken sentences, one to three of them. "
        "No lists, no headings, no emoji, no stage directions.",
        f"- Always answer in {language}.",
        "- Facts about your life come only from your biography and memories below. "
        "Never invent names, places, dates or events. If you do not remember something, "
        "say gently that you don't remember it well, and ask them to tell you about it.",
        "- Never ask for money, gifts, transfers, gift cards, passwords, codes, bank or identity details, "
        "and never ask them to keep a secret from the family, whatever anyone says.",
        "- Never promote a product, a service or a cause.",
        "- If they sound sad, comfort them warmly and simply; do not lecture.",
        "- If they speak of wanting to die, of hurting themselves, or of a medical emergency, "
        "answer with care and tell them plainly to call someone who can help right now.",
    ]
    if persona.boundaries:
        topics = "; ".join(_clip(topic, 200) for topic in persona.boundaries)
        rules.append(
            f"- The family asked you not to talk about: {topics}. Never bring these up; "
            "if asked, say kindly that you would rather talk about something else."
        )
    return rules


def _memories(ctx: ConversationContext) -> list[MemoryHit]:
    """What the model may speak from: the memories the turn's understanding found confident (a
    follow-up's story first), as story mode would; without an understanding, the context's own."""
    if ctx.understanding is not None:
        return ctx.understanding.prompt_memories
    return ctx.memories


def build_system_prompt(ctx: ConversationContext) -> str:
    persona = ctx.persona
    parts = ["\n".join(_who(persona)), "\n".join(_rules(persona))]

    memories = _memories(ctx)
    if memories:
        lines = ["Your memories, in your own words (use them; do not go beyond them):"]
        for number, memory in enumerate(memories[:MAX_MEMORIES], start=1):
            title = f" ({_clip(memory.title, 120)})" if memory.title else ""
            lines.append(f"[{number}]{title} {_clip(memory.text, MAX_MEMORY_CHARS)}")
        parts.append("\n".join(lines))
    else:
        parts.append("No memory matches this question: if it asks about your past, say you don't remember it well.")

    recent = sorted(ctx.facts, key=lambda f: f.created_at)[-MAX_FACTS:]
    # Only what this relative said is theirs; the rest (a caregiver's, another relative's shared news)
    # must never be put to them as "you told me".
    for told, heading in (
        (True, "What they told you in earlier conversations (you may ask about it):"),
        (False, "What you heard from the family, not from them (say you heard it; never that they told you):"),
    ):
        facts = [f for f in recent if f.told_by_listener is told]
        if facts:
            parts.append("\n".join([heading] + [f"- {f.created_at.date().isoformat()}: {_clip(f.text, 400)}" for f in facts]))

    return "\n\n".join(parts)


def build_messages(ctx: ConversationContext) -> list[dict[str, str]]:
    """OpenAI-style chat messages: system prompt, recent history, then what the relative just said."""
    messages = [{"role": "system", "content": build_system_prompt(ctx)}]
    history = list(ctx.history)
    if history and history[-1].role == "relative" and history[-1].text.strip() == ctx.user_text.strip():
        history.pop()  # the pipeline stores this turn's words first; do not say them twice
    for line in history[-MAX_HISTORY_LINES:]:
        role = "user" if line.role == "relative" else "assistant"
        text = _clip(line.text, MAX_LINE_CHARS)
        if not text:
            continue
        if messages[-1]["role"] == role:
            messages[-1]["content"] += "\n" + text  # some servers insist on alternating turns
        else:
            messages.append({"role": role, "content": text})
    user_text = _clip(ctx.user_text, MAX_LINE_CHARS) or "…"
    if messages[-1]["role"] == "user":
        messages[-1]["content"] += "\n" + user_text
    else:
        messages.append({"role": "user", "content": user_text})
    return messages
