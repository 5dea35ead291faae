"""Every sentence the tablet shows, in English and Simplified Chinese.

Words on the relative's screen are short and calm: the person reading them
may be 85, tired, and without glasses. ``{name}`` is the way the relative
addresses the persona ("Grandma", "Nainai").
"""

from __future__ import annotations

import re

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"

STRINGS: dict[str, dict[str, str]] = {
    # the relative's screen
    "tap_to_talk": {"en": "Tap to talk", "zh": "点一下，说话"},
    "hold_to_talk": {"en": "Hold to talk", "zh": "按住说话"},
    "tap_to_answer": {"en": "Tap to answer", "zh": "点一下，回答"},
    "listening": {"en": "I'm listening…", "zh": "我在听…"},
    "listening_hint": {"en": "Tap again when you are done", "zh": "说完再点一下"},
    "listening_hint_hold": {"en": "Let go when you are done", "zh": "说完松开"},
    "thinking": {"en": "{name} is thinking…", "zh": "{name}在想…"},
    "one_moment": {"en": "One moment…", "zh": "请稍等…"},
    "speaking": {"en": "{name} is talking", "zh": "{name}在说话"},
    "resting": {"en": "{name} is resting. Let's try again in a moment.", "zh": "{name}在休息。我们等一下再试。"},
    "resting_kept": {"en": "Your words are saved.", "zh": "您的话已经保存好了。"},
    "not_heard": {"en": "I didn't hear anything. Tap when you want to talk.", "zh": "我没有听到声音。想说话时，点一下。"},
    "say_again": {"en": "Say that again", "zh": "再说一遍"},
    "volume": {"en": "Volume", "zh": "音量"},
    "quieter": {"en": "Quieter", "zh": "小声"},
    "louder": {"en": "Louder", "zh": "大声"},
    "you_said": {"en": "You said: {text}", "zh": "您说：{text}"},
    "not_set_up": {"en": "This tablet is not set up yet.", "zh": "这台平板还没有设置好。"},
    "not_set_up_hint": {"en": "Please ask your family to set it up.", "zh": "请家人帮忙设置。"},
    "needs_setup_again": {"en": "This tablet needs to be set up again. Please ask your family.", "zh": "这台平板需要重新设置。请找家人帮忙。"},
    "idle_hint": {"en": "Tap the green button and talk to {name}.", "zh": "点一下绿色按钮，和{name}说说话。"},
    "goodbye": {"en": "Tap when you want to talk again.", "zh": "想再聊天时，点一下。"},
    "grandma": {"en": "Grandma", "zh": "奶奶"},
    "own_voice": {"en": "Recorded in {name}'s own voice", "zh": "这是{name}本人的录音"},
    # when the relative speaks of wanting to die, of hurting themselves, or of an emergency
    "crisis_heading_self_harm": {"en": "You are not alone. Please call:", "zh": "您不是一个人。请打电话给："},
    "crisis_heading_medical": {"en": "Please get help now. Call:", "zh": "请马上找人帮忙。请打电话给："},
    "crisis_no_contact": {"en": "Please call someone you trust, or your local emergency number.",
                          "zh": "请打电话给您信任的人，或者拨打当地的急救电话。"},
    "crisis_emergency": {"en": "Emergency number", "zh": "急救电话"},
    "crisis_close": {"en": "Touch the screen to close this.", "zh": "轻触屏幕，可以关闭这一页。"},
    # the PIN screen
    "enter_pin": {"en": "Caregiver PIN", "zh": "看护人密码"},
    "wrong_pin": {"en": "That PIN is not right.", "zh": "密码不对。"},
    "locked_out": {"en": "Too many tries. Wait {seconds} seconds.", "zh": "尝试太多次。请等 {seconds} 秒。"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "ok": {"en": "OK", "zh": "确定"},
    "clear": {"en": "Clear", "zh": "清除"},
    # the caregiver area
    "caregiver_title": {"en": "Caregiver settings", "zh": "看护人设置"},
    "back_to_conversation": {"en": "Back to the conversation", "zh": "回到对话"},
    "section_pairing": {"en": "Server", "zh": "服务器"},
    "server_address": {"en": "Server address", "zh": "服务器地址"},
    "pairing_code": {"en": "Pairing code", "zh": "配对码"},
    "pair": {"en": "Pair", "zh": "配对"},
    "pairing": {"en": "Pairing…", "zh": "正在配对…"},
    "paired_with": {"en": "Paired with {server}", "zh": "已与 {server} 配对"},
    "not_paired": {"en": "Not paired. Enter the server address and the pairing code that the server shows.", "zh": "还没有配对。请输入服务器地址和服务器显示的配对码。"},
    "pair_failed": {"en": "Pairing failed: {reason}", "zh": "配对失败：{reason}"},
    "unpair": {"en": "Unpair this tablet", "zh": "取消配对"},
    "unpaired": {"en": "This tablet is no longer paired.", "zh": "已取消配对。"},
    "section_persona": {"en": "Who this tablet shows", "zh": "显示的人物"},
    "refresh": {"en": "Refresh", "zh": "刷新"},
    "no_personas": {"en": "No personas yet (or no consent recorded).", "zh": "还没有人物（或还没有记录同意）。"},
    "section_display": {"en": "Screen and sound", "zh": "屏幕和声音"},
    "caption_size": {"en": "Caption size", "zh": "字幕大小"},
    "caption_sample": {"en": "Hello, my dear. 你好，亲爱的。", "zh": "你好，亲爱的。Hello, my dear."},
    "speaking_volume": {"en": "Speaking volume", "zh": "说话音量"},
    "talk_mode": {"en": "Talk mode", "zh": "说话方式"},
    "mode_tap": {"en": "Tap to talk", "zh": "点一下说话"},
    "mode_hold": {"en": "Hold to talk", "zh": "按住说话"},
    "language": {"en": "Language of the screen", "zh": "屏幕语言"},
    "test": {"en": "Play a test answer", "zh": "播放测试回答"},
    "test_playing": {"en": "Playing a test answer…", "zh": "正在播放测试回答…"},
    "test_failed": {"en": "The test failed: {reason}", "zh": "测试失败：{reason}"},
    "section_history": {"en": "Recent conversations", "zh": "最近的对话"},
    "show_history": {"en": "Show recent conversations", "zh": "显示最近的对话"},
    "no_history": {"en": "Nothing said yet.", "zh": "还没有对话。"},
    "history_relative": {"en": "Relative", "zh": "家人"},
    "section_pin": {"en": "PIN", "zh": "密码"},
    "new_pin": {"en": "New PIN (4 to 8 digits)", "zh": "新密码（4到8位数字）"},
    "repeat_pin": {"en": "Repeat the new PIN", "zh": "再输入一次新密码"},
    "change_pin": {"en": "Change PIN", "zh": "修改密码"},
    "pin_changed": {"en": "The PIN is changed.", "zh": "密码已修改。"},
    "pin_mismatch": {"en": "The two PINs are different, or not 4 to 8 digits.", "zh": "两次密码不一样，或不是4到8位数字。"},
    "default_pin_hint": {"en": "The first PIN is 1234. Please change it.", "zh": "初始密码是 1234，请修改。"},
    "offline_queue": {"en": "{count} recording(s) waiting to be sent", "zh": "有 {count} 段录音等待发送"},
    "err_offline": {"en": "the server cannot be reached", "zh": "连不上服务器"},
    # the family account: signing in opens the persona studio and the alerts
    "section_account": {"en": "Family account", "zh": "家庭账号"},
    "account_hint": {"en": "Sign in with the family's caregiver account to build a persona, add memories and read alerts. You are signed out when you leave this area.",
                     "zh": "用家里的看护人账号登录，可以创建人物、添加回忆、查看提醒。离开这里时会自动退出登录。"},
    "email": {"en": "Email", "zh": "邮箱"},
    "password": {"en": "Password", "zh": "登录密码"},
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "signing_in": {"en": "Signing in…", "zh": "正在登录…"},
    "sign_out": {"en": "Sign out", "zh": "退出登录"},
    "signed_in_as": {"en": "Signed in as {email}", "zh": "已登录：{email}"},
    "sign_in_missing": {"en": "Enter the email and the password (and pair the tablet first).", "zh": "请输入邮箱和登录密码（并先配对平板）。"},
    "sign_in_failed": {"en": "Could not sign in: {reason}", "zh": "登录失败：{reason}"},
    "signed_out": {"en": "Signed out.", "zh": "已退出登录。"},
    "new_persona": {"en": "New persona", "zh": "新建人物"},
    "edit_persona": {"en": "Edit", "zh": "编辑"},
    "memories": {"en": "Memories", "zh": "回忆"},
    "alerts": {"en": "Alerts", "zh": "提醒"},
    "needs_consent": {"en": "{persona} (no consent yet)", "zh": "{persona}（还没有同意记录）"},
    "loading": {"en": "Loading…", "zh": "正在加载…"},
}


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``language`` (English when missing), with ``values`` filled in."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_NO_LINE_START = set("，。、！？；：」』）》〉】…,.!?;:)")


def wrap_cjk(text: str, width: float, measure) -> str:
    """Break lines for text with Chinese in it: between any two hanzi, never before closing punctuation.

    Kivy wraps only at spaces, which leaves Chinese lines ragged and stranded
    full stops at the start of a line. Latin-only text is left to Kivy.
    """
    if not _CJK.search(text):
        return text
    units: list[str] = []
    for unit in re.findall(r"[A-Za-z0-9'’\-]+ *|\n| +|.", text):
        if units and unit[0] in _NO_LINE_START:
            units[-1] += unit  # keep the full stop with the word before it
        else:
            units.append(unit)
    lines, line = [], ""
    for unit in units:
        if unit == "\n":
            lines.append(line.rstrip())
            line = ""
        elif line and measure((line + unit).rstrip()) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
    lines.append(line.rstrip())
    return "\n".join(lines)
