"""Colours: dark, warm and calm, with text contrast well above WCAG AAA (7:1) for failing eyes."""

BACKGROUND = (0.07, 0.066, 0.06, 1)
PANEL = (0.13, 0.125, 0.115, 1)
TEXT = (0.98, 0.97, 0.94, 1)
TEXT_SOFT = (0.80, 0.78, 0.74, 1)
TEXT_WARM = (1.0, 0.87, 0.62, 1)  # calm notices ("resting")
BUTTON = (0.22, 0.21, 0.20, 1)
BUTTON_DOWN = (0.32, 0.31, 0.29, 1)
ACCENT = (0.16, 0.52, 0.30, 1)
DANGER = (0.62, 0.20, 0.16, 1)
# the crisis card: a calm deep blue, not an alarm red; the numbers in the brightest text there is
CRISIS_BACKGROUND = (0.055, 0.085, 0.14, 1)
CRISIS_PANEL = (0.11, 0.16, 0.25, 1)

# the talk control's colour says what is happening, and its words say it again
TALK = {
    "idle": (0.13, 0.50, 0.27, 1),
    "speaking": (0.13, 0.50, 0.27, 1),
    "listening": (0.11, 0.38, 0.72, 1),
    "thinking": (0.55, 0.40, 0.07, 1),
    "resting": (0.33, 0.33, 0.35, 1),
    "starting": (0.26, 0.26, 0.27, 1),
    "setup": (0.26, 0.26, 0.27, 1),
    "ended": (0.13, 0.50, 0.27, 1),  # the talk is over; the button still invites, nothing else moves
}


def talk_color(state: str) -> tuple:
    return TALK.get(state, TALK["idle"])
