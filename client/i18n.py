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
    "needs_setup_again": {
        "en": "This tablet needs to be set up again. Please ask your family.",
        "zh": "这台平板需要重新设置。请找家人帮忙。",
    },
    "idle_hint": {"en": "Tap the green button and talk to {name}.", "zh": "点一下绿色按钮，和{name}说说话。"},
    "goodbye": {"en": "Tap when you want to talk again.", "zh": "想再聊天时，点一下。"},
    "grandma": {"en": "Grandma", "zh": "奶奶"},
    "own_voice": {"en": "Recorded in {name}'s own voice", "zh": "这是{name}本人的录音"},
    # when the relative speaks of wanting to die, of hurting themselves, or of an emergency
    "crisis_heading_self_harm": {"en": "You are not alone. Please call:", "zh": "您不是一个人。请打电话给："},
    "crisis_heading_medical": {"en": "Please get help now. Call:", "zh": "请马上找人帮忙。请打电话给："},
    "crisis_no_contact": {
        "en": "Please call someone you trust, or your local emergency number.",
        "zh": "请打电话给您信任的人，或者拨打当地的急救电话。",
    },
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
    "not_paired": {
        "en": "Not paired. Enter the server address and the pairing code that the server shows.",
        "zh": "还没有配对。请输入服务器地址和服务器显示的配对码。",
    },
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
    "account_hint": {
        "en": "Sign in with the family's caregiver account to build a persona, add memories and read alerts. You are signed out when you leave this area.",
        "zh": "用家里的看护人账号登录，可以创建人物、添加回忆、查看提醒。离开这里时会自动退出登录。",
    },
    "email": {"en": "Email", "zh": "邮箱"},
    "password": {"en": "Password", "zh": "登录密码"},
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "signing_in": {"en": "Signing in…", "zh": "正在登录…"},
    "sign_out": {"en": "Sign out", "zh": "退出登录"},
    "signed_in_as": {"en": "Signed in as {email}", "zh": "已登录：{email}"},
    "sign_in_missing": {
        "en": "Enter the email and the password (and pair the tablet first).",
        "zh": "请输入邮箱和登录密码（并先配对平板）。",
    },
    "sign_in_failed": {"en": "Could not sign in: {reason}", "zh": "登录失败：{reason}"},
    "signed_out": {"en": "Signed out.", "zh": "已退出登录。"},
    "new_persona": {"en": "New persona", "zh": "新建人物"},
    "edit_persona": {"en": "Edit", "zh": "编辑"},
    "memories": {"en": "Memories", "zh": "回忆"},
    "alerts": {"en": "Alerts", "zh": "提醒"},
    "needs_consent": {"en": "{persona} (no consent yet)", "zh": "{persona}（还没有同意记录）"},
    "loading": {"en": "Loading…", "zh": "正在加载…"},
}

# The caregiver's memories, "what the relative has told", and alerts (client/uix/memories.py, alerts.py).
# {name} is how the relative addresses the persona; {persona} the persona's full name.
_MEMORY_STRINGS: dict[str, dict[str, str]] = {
    "memories_title": {"en": "Memories of {persona}", "zh": "{persona}的回忆"},
    "back_to_settings": {"en": "Back to settings", "zh": "返回设置"},
    "tab_memories": {"en": "Memories", "zh": "回忆"},
    "tab_add": {"en": "Add memories", "zh": "添加回忆"},
    "tab_facts": {"en": "What the family told {name}", "zh": "家人告诉{name}的事"},
    "search_hint": {"en": "Words to look for", "zh": "要找的字词"},
    "search": {"en": "Search", "zh": "查找"},
    "show_all": {"en": "Show all", "zh": "全部"},
    "previous_page": {"en": "Previous", "zh": "上一页"},
    "next_page": {"en": "Next", "zh": "下一页"},
    "page_range": {"en": "Memories {first} to {last}", "zh": "第 {first} 到 {last} 条回忆"},
    "page_empty": {"en": "No memories here.", "zh": "这里没有回忆。"},
    "nothing_found": {"en": "Nothing found for “{query}”.", "zh": "没有找到“{query}”。"},
    "found_for": {"en": "{count} found for “{query}”", "zh": "找到 {count} 条“{query}”"},
    "untitled": {"en": "(no title)", "zh": "（无标题）"},
    "edit": {"en": "Edit", "zh": "修改"},
    "hide": {"en": "Hide", "zh": "隐藏"},
    "unhide": {"en": "Show again", "zh": "取消隐藏"},
    "delete": {"en": "Delete", "zh": "删除"},
    "save": {"en": "Save", "zh": "保存"},
    "cancel_edit": {"en": "Cancel", "zh": "取消"},
    "hidden_tag": {"en": "Hidden: {name} will not use this.", "zh": "已隐藏：{name}不会用到这条。"},
    "confirm_delete_memory": {"en": "Delete this memory for good?", "zh": "永久删除这条回忆吗？"},
    "confirm_delete_fact": {"en": "Delete this for good?", "zh": "永久删除这一条吗？"},
    "yes_delete": {"en": "Yes, delete", "zh": "确定删除"},
    "keep_it": {"en": "Keep it", "zh": "保留"},
    "saved": {"en": "Saved.", "zh": "已保存。"},
    "deleted": {"en": "Deleted.", "zh": "已删除。"},
    "not_saved": {"en": "Not saved: {reason}", "zh": "没有保存：{reason}"},
    "err_unknown": {"en": "something went wrong", "zh": "出了点问题"},
    # where a memory came from
    "origin_memoir": {"en": "Memoir", "zh": "回忆录"},
    "origin_letters": {"en": "Letters", "zh": "书信"},
    "origin_chat": {"en": "Chat", "zh": "聊天记录"},
    "origin_voice_memo": {"en": "Recording", "zh": "录音"},
    "origin_typed": {"en": "Typed in by the family", "zh": "家人输入"},
    "origin_demo": {"en": "Demo story", "zh": "示例故事"},
    "origin_other": {"en": "From {kind}", "zh": "来自 {kind}"},
    "origin_own_voice": {"en": "in {name}'s own voice", "zh": "{name}本人的声音"},
    # adding: typed
    "type_memory": {"en": "Type a memory", "zh": "写一段回忆"},
    "memory_title": {"en": "Title (for example: The bakery in 1962)", "zh": "标题（例如：1962年的面包店）"},
    "memory_text": {"en": "The memory, in {name}'s words if you can", "zh": "回忆的内容，尽量用{name}自己的话"},
    "save_memory": {"en": "Save memory", "zh": "保存回忆"},
    "memory_text_missing": {"en": "Write the memory first.", "zh": "请先写下回忆。"},
    "memory_saved": {"en": "Saved. {name} can tell it now.", "zh": "已保存，{name}现在可以讲这段回忆了。"},
    # adding: dictated by the caregiver (written down by the server, kept only as typed words)
    "dictate": {"en": "Dictate", "zh": "口述"},
    "dictate_stop": {"en": "Stop", "zh": "停止"},
    "dictation_sending": {"en": "Writing down what you said…", "zh": "正在把您说的话写下来…"},
    "dictation_check": {
        "en": "Check the words and correct them if needed, then press Save memory.",
        "zh": "请检查这些文字，需要时改正，然后点“保存回忆”。",
    },
    # adding: {name}'s own voice
    "record_title": {"en": "Record {name}'s own voice", "zh": "录下{name}本人的声音"},
    "record_hint": {
        "en": 'Only for {name} speaking: the recording is kept and played as {name}\'s own voice. For your own words, type them or press Dictate under "Type a memory".',
        "zh": "只用于{name}本人说话：录音会保存，并作为{name}本人的声音播放。您自己的话请打字，或点“写一段回忆”下面的“口述”。",
    },
    "record_start": {"en": "Start recording", "zh": "开始录音"},
    "record_stop": {"en": "Stop and keep", "zh": "停止并保存"},
    "record_cancel": {"en": "Throw away", "zh": "不要了"},
    "recording_now": {"en": "Recording… {seconds} s", "zh": "正在录音… {seconds} 秒"},
    "recording_empty": {"en": "Nothing was heard. Try again closer to the tablet.", "zh": "没有听到声音，请靠近平板再试一次。"},
    "no_mic": {"en": "This tablet has no microphone that works.", "zh": "这台平板没有可用的话筒。"},
    # adding: a file
    "import_title": {"en": "Bring in a file", "zh": "导入文件"},
    "import_hint": {
        "en": "A memoir or any long text (.txt .md .docx .pdf .epub), letters, a chat export, or a voice memo of {name}.",
        "zh": "回忆录或长文（.txt .md .docx .pdf .epub）、书信、聊天记录导出，或{name}的语音备忘。",
    },
    "kind_auto": {"en": "Find out", "zh": "自动识别"},
    "kind_memoir": {"en": "Memoir", "zh": "回忆录"},
    "kind_letters": {"en": "Letters", "zh": "书信"},
    "kind_chat": {"en": "Chat", "zh": "聊天"},
    "kind_voice_memo": {"en": "Voice memo", "zh": "语音"},
    "choose_file": {"en": "Choose a file…", "zh": "选择文件…"},
    "chooser_title": {"en": "Choose the file to bring in", "zh": "选择要导入的文件"},
    "chooser_path": {"en": "File", "zh": "文件"},
    "import_this": {"en": "Bring it in", "zh": "导入"},
    "chooser_nothing": {"en": "Choose a file in the list first.", "zh": "请先在列表里选一个文件。"},
    "chooser_missing": {"en": "There is no file called {file}.", "zh": "没有叫 {file} 的文件。"},
    "import_sending": {"en": "Sending {file}…", "zh": "正在发送 {file}…"},
    "import_queued": {"en": "{file}: waiting to start…", "zh": "{file}：等待开始…"},
    "import_running": {"en": "{file}: {stage}, {percent}%", "zh": "{file}：{stage}，{percent}%"},
    "import_done": {"en": "{file} is in: {counts}.", "zh": "{file} 已导入：{counts}。"},
    "import_failed": {"en": "{file} could not be brought in: {reason}", "zh": "{file} 没能导入：{reason}"},
    "count_memories": {"en": "{n} memories", "zh": "{n} 条回忆"},
    "count_chapters": {"en": "{n} chapters", "zh": "{n} 章"},
    "count_paragraphs": {"en": "{n} paragraphs", "zh": "{n} 段"},
    "count_letters": {"en": "{n} letters", "zh": "{n} 封信"},
    "count_messages": {"en": "{n} messages", "zh": "{n} 条消息"},
    "count_parts": {"en": "{n} parts", "zh": "{n} 段录音"},
    "count_none": {"en": "nothing yet", "zh": "还没有内容"},
    # what the relative has told
    "facts_hint": {
        "en": "What was said to {name} on a tablet and kept, so {name} can ask about it later, on that tablet only "
        "unless you share it. Correct it, hide it, share it, or delete it.",
        "zh": "在平板上告诉{name}并记下的事，{name}以后会问起，但只在说的那台平板上问，除非你把它共享。可以修改、隐藏、共享或删除。",
    },
    "no_facts": {
        "en": "Nothing kept yet. When the family tells {name} news (a birth, a move), it appears here.",
        "zh": "还没有记下什么。家人告诉{name}新消息（比如添了孩子、搬家）后，会出现在这里。",
    },
    "told_on": {"en": "Told on {when}", "zh": "{when} 说的"},
    # who told it; only there is it heard again, unless a caregiver shares it with every tablet
    "told_on_tablet": {"en": "Told on {when}, on “{who}”", "zh": "{when} 在“{who}”上说的"},
    "told_on_by": {"en": "Told on {when} by {who}", "zh": "{when} 由{who}告诉的"},
    "told_on_by_caregiver": {"en": "Told on {when} by a caregiver", "zh": "{when} 由看护人告诉的"},
    "share": {"en": "Share", "zh": "共享"},
    "unshare": {"en": "Stop sharing", "zh": "取消共享"},
    "shared_tag": {"en": "Shared: {name} may ask about this on every tablet.", "zh": "已共享：在每台平板上，{name}都可能问起这件事。"},
    "private_tag": {
        "en": "Only the one who said it, on “{who}”, hears {name} ask about it.",
        "zh": "只有在“{who}”上说这件事的人，才会听到{name}问起。",
    },
    "private_tag_nobody": {"en": "Not shared: {name} asks about it on no tablet.", "zh": "没有共享：在哪台平板上，{name}都不会问起。"},
    # alerts
    "alerts_title": {"en": "Alerts", "zh": "提醒"},
    "alerts_hint": {"en": "What the caregivers should know, newest first.", "zh": "看护人需要知道的事，最新的在前面。"},
    "no_alerts": {"en": "No alerts. All is calm.", "zh": "没有提醒，一切平安。"},
    "refresh_alerts": {"en": "Refresh", "zh": "刷新"},
    "alert_crisis": {"en": "Crisis: the relative may be in danger", "zh": "紧急：亲人可能有危险"},
    "alert_blocked": {"en": "A sentence was stopped before it was spoken", "zh": "有一句话在说出前被拦下"},
    "alert_stopped": {"en": "The relative asked to stop talking", "zh": "亲人要求停止对话"},
    "alert_other": {"en": "Notice: {kind}", "zh": "通知：{kind}"},
    "alert_said": {"en": "Words: {message}", "zh": "原话：{message}"},
    "alert_with": {"en": "{when} · talking with {persona}", "zh": "{when} · 和{persona}对话时"},
    "alerts_count": {"en": "Alerts ({count})", "zh": "提醒（{count}）"},
    "show_more": {"en": "Show more", "zh": "显示更多"},
    "listen": {"en": "Listen", "zh": "听一听"},
    "listen_failed": {"en": "Could not play it: {reason}", "zh": "没能播放：{reason}"},
}
for (
    _key,
    _words,
) in _MEMORY_STRINGS.items():  # never overrides a key defined above (tests/client/test_memories_parts.py checks there is none)
    STRINGS.setdefault(_key, _words)

# The persona studio (client/uix/studio.py): four steps, for a caregiver who is not technical.
# {persona} is the persona's name.
_STUDIO_STRINGS: dict[str, dict[str, str]] = {
    "studio_title_new": {"en": "New persona", "zh": "新建人物"},
    "studio_title_edit": {"en": "Persona: {persona}", "zh": "人物：{persona}"},
    "studio_done": {"en": "Done", "zh": "完成"},
    "step_who": {"en": "1. Who they were", "zh": "1. 是谁"},
    "step_consent": {"en": "2. Consent", "zh": "2. 同意"},
    "step_portrait": {"en": "3. Portrait", "zh": "3. 照片"},
    "step_voice": {"en": "4. Voice", "zh": "4. 声音"},
    "studio_next": {"en": "Next step", "zh": "下一步"},
    "studio_save_next": {"en": "Save and go on", "zh": "保存，下一步"},
    "studio_done_unsaved": {"en": "{problem} Tap Done again to leave without saving.", "zh": "{problem}再点一次“完成”，就不保存直接离开。"},
    "studio_saving": {"en": "Saving…", "zh": "正在保存…"},
    "studio_saved": {"en": "Saved.", "zh": "已保存。"},
    "studio_created": {"en": "{persona} is saved. Next: the consent.", "zh": "{persona}已保存。下一步：同意。"},
    "studio_need_name": {"en": "Please type their name.", "zh": "请填写名字。"},
    "studio_need_kind": {"en": "Please choose who this is.", "zh": "请选择这是谁。"},
    "studio_need_age": {"en": "Please type the age the child is kept at (1 to 17).", "zh": "请填写孩子保留的年龄（1到17岁）。"},
    "studio_save_first": {"en": "First save step 1: the persona does not exist yet.", "zh": "请先保存第1步：这个人物还没有建立。"},
    "studio_failed": {"en": "That did not work: {reason}", "zh": "没有成功：{reason}"},
    "studio_file_unreadable": {"en": "this file cannot be read on the tablet", "zh": "平板读不了这个文件"},
    "studio_unexpected": {"en": "something went wrong on the tablet; please try again", "zh": "平板出了点问题，请再试一次"},
    "studio_loading_persona": {"en": "Loading the persona…", "zh": "正在加载人物…"},
    "field_display_name": {"en": "Their name", "zh": "名字"},
    "hint_display_name": {"en": "For example: Rose Whitfield", "zh": "例如：王秀英"},
    "field_addressed_as": {"en": "What the family calls them (separate with commas)", "zh": "家人怎么称呼（用逗号分开）"},
    "hint_addressed_as": {"en": "For example: Nainai, Grandma Rose", "zh": "例如：奶奶, 外婆"},
    "field_kind": {"en": "Who is this?", "zh": "这是谁？"},
    "kind_deceased": {"en": "Someone who has died", "zh": "已经去世的亲人"},
    "kind_living": {"en": "A living person keeping their story", "zh": "在世的人，为家人留下自己"},
    "kind_child": {"en": "A child, kept at an age", "zh": "孩子，留住某个年龄"},
    "kind_public_figure": {"en": "A public figure, for a memorial", "zh": "公众人物，用于纪念"},
    "field_age": {"en": "Age kept", "zh": "保留的年龄"},
    "field_language": {"en": "They speak", "zh": "说的语言"},
    "field_biography": {"en": "A short life story", "zh": "简短的生平"},
    "hint_biography": {
        "en": "For example: Born in 1938 in Leeds. A teacher for forty years. Loved her garden.",
        "zh": "例如：1938年生于台州。当了四十年老师。喜欢种花。",
    },
    "field_style": {"en": "How they speak, and phrases they often used", "zh": "说话的方式和常说的话"},
    "hint_style": {
        "en": 'For example: Warm and teasing; says "my dear" and "mind how you go".',
        "zh": "例如：说话温和，爱开玩笑；常说“乖乖”“慢慢来”。",
    },
    "field_boundaries": {"en": "Topics to avoid (separate with commas)", "zh": "不要谈的话题（用逗号分开）"},
    "hint_boundaries": {"en": "For example: politics, the divorce", "zh": "例如：政治, 离婚"},
    "field_disclosure": {"en": "Say it is an AI recreation at the start of each talk", "zh": "每次对话开始时，说明这是AI再现"},
    "disclosure_on": {"en": "Yes, say it", "zh": "说明"},
    "disclosure_off": {"en": "No", "zh": "不说明"},
    "consent_intro_next_of_kin": {
        "en": "Consent comes from {persona}'s next of kin: the closest family, such as a husband, wife or child.",
        "zh": "同意要由{persona}最近的亲属给出，比如配偶或子女。",
    },
    "consent_intro_self": {
        "en": "{persona} is alive and gives consent themself, and can review everything that is kept.",
        "zh": "{persona}本人在世，由本人给出同意，并且可以查看保存的所有内容。",
    },
    "consent_intro_parent": {"en": "Consent comes from a parent or guardian of {persona}.", "zh": "同意要由{persona}的父母或监护人给出。"},
    "consent_intro_rights_holder": {
        "en": "Consent comes from whoever holds the rights to {persona}'s words and image: the estate, the family, or the licence holder.",
        "zh": "同意要由{persona}的文字和肖像的权利人给出：遗产管理人、家属或授权方。",
    },
    "consent_given_by_next_of_kin": {"en": "Name of the next of kin", "zh": "亲属的名字"},
    "consent_given_by_self": {"en": "Your own name", "zh": "您本人的名字"},
    "consent_given_by_parent": {"en": "Name of the parent or guardian", "zh": "父母或监护人的名字"},
    "consent_given_by_rights_holder": {"en": "Name of the rights holder", "zh": "权利人的名字"},
    "consent_relation": {"en": "Their relation to {persona}", "zh": "与{persona}的关系"},
    "consent_relation_self": {"en": "Myself", "zh": "本人"},
    "hint_relation_next_of_kin": {"en": "For example: daughter", "zh": "例如：女儿"},
    "hint_relation_parent": {"en": "For example: mother", "zh": "例如：母亲"},
    "hint_relation_rights_holder": {"en": "For example: executor of the estate", "zh": "例如：遗产管理人"},
    "consent_scope": {"en": "What may {persona} say?", "zh": "{persona}可以说什么？"},
    "scope_own_words": {"en": "Only their own words, from their memories", "zh": "只说本人说过的话"},
    "scope_generated": {"en": "Also new answers made from their words", "zh": "也可以根据本人的话回答新问题"},
    "consent_statement": {"en": "The consent, in the words of the person giving it", "zh": "同意声明（由给出同意的人确认）"},
    "consent_statement_next_of_kin": {
        "en": "As {persona}'s next of kin, I agree that our family may talk with an AI recreation of {persona} made from their own words.",
        "zh": "我是{persona}的亲属，我同意家人与用{persona}自己的话做成的AI再现对话。",
    },
    "consent_statement_self": {
        "en": "I, {persona}, agree that my family may talk with an AI version of me made from my own words.",
        "zh": "我是{persona}，我同意家人与用我自己的话做成的AI版本对话。",
    },
    "consent_statement_parent": {
        "en": "As {persona}'s parent, I agree that our family may keep an AI recreation of {persona} at this age, made from their own words.",
        "zh": "我是{persona}的父母，我同意家里保留用{persona}自己的话做成的这个年龄的AI再现。",
    },
    "consent_statement_rights_holder": {
        "en": "As the holder of the rights to {persona}'s words and image, I agree to an AI recreation of {persona} for this memorial.",
        "zh": "我是{persona}文字和肖像的权利人，我同意为这次纪念制作{persona}的AI再现。",
    },
    "consent_missing": {
        "en": "No consent yet. Without consent, {persona} cannot talk, and the tablet does not offer them.",
        "zh": "还没有同意记录。没有同意，{persona}就不能说话，平板上也不会出现。",
    },
    "consent_recorded": {
        "en": "Consent recorded on {date} by {given_by} ({relation}): {scope}.",
        "zh": "{date}，{given_by}（{relation}）已给出同意：{scope}。",
    },
    "record_consent": {"en": "Record the consent", "zh": "记录同意"},
    "consent_saved": {"en": "The consent is recorded. {persona} can talk now.", "zh": "同意已记录。{persona}现在可以说话了。"},
    "consent_need_all": {"en": "Please fill in the name, the relation and the statement.", "zh": "请填写名字、关系和声明。"},
    "portrait_intro": {
        "en": "Choose a clear photo of {persona}'s face, looking at the camera.",
        "zh": "请选一张{persona}正面、清楚的照片。",
    },
    "choose_photo": {"en": "Choose a photo", "zh": "选择照片"},
    "portrait_sending": {"en": "Sending the photo…", "zh": "正在上传照片…"},
    "portrait_working": {"en": "Finding the face… {percent}%", "zh": "正在找脸…{percent}%"},
    "portrait_none": {"en": "No portrait yet.", "zh": "还没有照片。"},
    "mouth_saving": {"en": "Saving the mouth…", "zh": "正在保存嘴的位置…"},
    "face_found": {
        "en": "The blue rings mark the eyes, the yellow ring the mouth. If one is wrong, drag it to the right place.",
        "zh": "蓝色圆圈是眼睛，黄色圆圈是嘴。如果位置不对，请把它拖到正确的地方。",
    },
    "face_none": {
        "en": "No face was found on this photo. Please drag the blue rings onto the eyes and the yellow ring onto the mouth.",
        "zh": "这张照片上没有找到脸。请把蓝色圆圈拖到眼睛上，把黄色圆圈拖到嘴上。",
    },
    "face_many": {
        "en": "{count} faces on this photo: the biggest is used. If it is the wrong one, drag the rings onto the right face.",
        "zh": "这张照片上有{count}张脸，用的是最大的那张。如果不对，请把圆圈拖到正确的脸上。",
    },
    "face_drag_hint": {
        "en": "Drag the blue rings onto the eyes and the yellow ring onto the mouth.",
        "zh": "把蓝色圆圈拖到眼睛上，把黄色圆圈拖到嘴上。",
    },
    "face_saving": {"en": "Saving the eyes and the mouth…", "zh": "正在保存眼睛和嘴的位置…"},
    "face_saved": {
        "en": "The eyes and the mouth are marked there. Drag a ring again to move it.",
        "zh": "眼睛和嘴的位置已保存。可以再拖动圆圈。",
    },
    "preview_hint": {"en": "How the face will look when it talks:", "zh": "说话时脸的样子："},
    "preview_try": {"en": "See the mouth move", "zh": "看看嘴怎么动"},
    "mouth_width": {"en": "Width of the mouth", "zh": "嘴的宽度"},
    "mouth_saved": {"en": "The mouth is marked there. Tap again to move it.", "zh": "嘴的位置已保存。再点一下可以移动。"},
    "voice_intro": {
        "en": "{persona}'s own voice: at least 30 seconds of clear speech, in a quiet room. Record them speaking here, or choose recordings on this tablet.",
        "zh": "{persona}本人的声音：在安静的地方，至少30秒清楚的说话声。可以在这里录音，也可以选择平板上的录音文件。",
    },
    "record_sample": {"en": "Record", "zh": "录音"},
    "stop_sample": {"en": "Stop ({seconds} s)", "zh": "停止（{seconds}秒）"},
    "recording_hint": {"en": "Recording. Speak clearly; tap Stop when finished.", "zh": "正在录音。请清楚地说话，说完点“停止”。"},
    "choose_audio": {"en": "Choose recordings", "zh": "选择录音文件"},
    "voice_kept": {
        "en": "The recording is kept on the tablet: send it again when the server is back.",
        "zh": "录音保存在平板上，服务器恢复后可以重新发送。",
    },
    "send_again": {"en": "Send the recording again", "zh": "重新发送录音"},
    "voice_checking": {"en": "Checking the recording…", "zh": "正在检查录音…"},
    "voice_nothing_heard": {
        "en": "Nothing was heard. Hold the tablet closer and try again.",
        "zh": "没有听到声音。把平板拿近一点，再试一次。",
    },
    "voice_no_mic": {
        "en": "This tablet has no microphone we can use. Choose recordings instead.",
        "zh": "这台平板没有可用的麦克风。请选择录音文件。",
    },
    "voice_progress_enough": {
        "en": "{total} seconds of clear speech: enough ({needed} needed)",
        "zh": "清楚的说话声：{total} 秒，已经够了（需要 {needed} 秒）",
    },
    "voice_progress": {"en": "{total} of {needed} seconds of clear speech", "zh": "清楚的说话声：{total} / {needed} 秒"},
    "voice_enough": {"en": "Enough clear speech to make the voice.", "zh": "清楚的说话声已经够了，可以生成声音。"},
    "voice_choice_title": {"en": "{persona} speaks with:", "zh": "{persona}用什么声音说话："},
    "voice_fits": {"en": "This voice suits {persona}.", "zh": "这个声音适合{persona}。"},
    "voice_own_only": {
        "en": "No made voice: {persona}'s own recordings play where an answer is one, and the words are shown in large captions.",
        "zh": "不用合成的声音：能用{persona}本人录音回答时就播放录音，其余的话用大字幕显示。",
    },
    "make_voice": {"en": "Make the voice", "zh": "生成声音"},
    "make_voice_again": {"en": "Make the voice again, from all the samples", "zh": "用全部录音重新生成声音"},
    "making_voice": {"en": "Making the voice… this can take a minute.", "zh": "正在生成声音…可能要一分钟。"},
    "voice_made": {"en": "Done: {persona} now speaks in their own voice.", "zh": "好了：{persona}现在用本人的声音说话。"},
    "voice_has_clone": {
        "en": "{persona} speaks in their own voice (made from the samples).",
        "zh": "{persona}用本人的声音说话（由录音生成）。",
    },
    "no_cloning": {
        "en": "No voice-cloning service is set up on this server, so {persona} will speak with the built-in voice. The samples are kept for later.",
        "zh": "这台服务器没有设置声音克隆服务，所以{persona}会用内置的声音说话。录音会保存，以后可以再用。",
    },
    "no_samples": {"en": "No recordings yet.", "zh": "还没有录音。"},
    "delete_sure": {"en": "Delete?", "zh": "确定删除？"},
    "sample_line": {"en": "{name}, {seconds} s", "zh": "{name}，{seconds}秒"},
    "sample_recorded": {"en": "Recorded on the tablet", "zh": "平板录音"},
    "verdict_good": {"en": "Good: clear speech.", "zh": "很好：声音清楚。"},
    "verdict_slightly_quiet": {
        "en": "Usable, but a little quiet. Next time hold the tablet closer.",
        "zh": "可以用，但声音有点小。下次离近一点。",
    },
    "verdict_slightly_noisy": {"en": "Usable, but with some background noise.", "zh": "可以用，但有一些杂音。"},
    "verdict_slightly_clipped": {"en": "Usable, but too loud in places.", "zh": "可以用，但有些地方太响。"},
    "verdict_too_short": {
        "en": "Too short: each recording needs at least 3 seconds of speech.",
        "zh": "太短了：每段录音至少要3秒的说话声。",
    },
    "verdict_mostly_silence": {"en": "Mostly silence: almost no speech was heard.", "zh": "大部分是安静的，几乎没有说话声。"},
    "verdict_clipped": {
        "en": "Too loud, the sound is distorted. Record again a little further away.",
        "zh": "声音太响，失真了。离远一点再录。",
    },
    "verdict_too_quiet": {"en": "Too quiet. Record again closer to the tablet.", "zh": "声音太小。离平板近一点再录。"},
    "verdict_noisy": {"en": "Too much background noise. Record again in a quiet room.", "zh": "杂音太多。换个安静的地方再录。"},
    "verdict_no_sound": {"en": "There is no sound in this recording.", "zh": "这段录音没有声音。"},
    "picker_photo": {"en": "Choose a photo", "zh": "选择照片"},
    "picker_audio": {"en": "Choose a recording", "zh": "选择录音文件"},
    "picker_use_photo": {"en": "Use this photo", "zh": "用这张照片"},
    "picker_other_photo": {"en": "Choose another", "zh": "换一张"},
    "picker_up": {"en": "Up one folder", "zh": "上一级文件夹"},
    "picker_empty": {"en": "Nothing to choose in this folder.", "zh": "这个文件夹里没有可选的文件。"},
    "picker_folder": {"en": "{name}  (folder)", "zh": "{name}（文件夹）"},
}
for _key, _words in _STUDIO_STRINGS.items():  # never overrides a key defined above (tests/client/test_studio_parts.py checks)
    STRINGS.setdefault(_key, _words)


# The server writes its errors in English; in Chinese the tablet says them itself, by error code.
# English is empty on purpose: there the server's own words (with their limits and names) are best.
_SERVER_ERRORS_ZH = {
    "busy": "现在说话的人很多，请稍后再试。",
    "too_large": "文件太大了。",
    "audio_too_long": "录音太长了，请分成几段。",
    "invalid_audio": "这不是能播放的录音。请重新录，或选择 WAV、MP3 或 M4A 文件。",
    "no_words": "录音里没听到说话。请靠近平板再试一次。",
    "speech_unavailable": "现在听不出这些话，请稍后再试。",
    "consent_required": "要先记录同意，才能和这个人物说话。",
    "consent_scope": "记录的同意不包括这件事。",
    "persona_archived": "这个人物已经停用，不再说话；回忆都为家人保留着。",
    "unsupported_media_type": "不支持这种文件格式。",
    "invalid_request": "填写的内容有误，请检查后再试。",
    "bad_form": "填写的内容有误，请检查后再试。",
    "forbidden": "你没有权限做这件事。",
    "unauthorized": "请重新登录。",
    "not_found": "找不到了，可能已经被删除。",
    "too_many_attempts": "尝试次数太多，请稍后再试。",
    "voice_service_failed": "制作声音的服务现在出了问题，请稍后再试。",
    "no_cloning_service": "没有制作声音的服务；会用内置的声音说话。",
    "empty_body": "什么都没有收到。",
    "email_taken": "这个邮箱已经有人用了。",
    "webhook_not_allowed": "这个提醒地址不能使用。",
    "session_ended": "这次对话已经结束了。",
    "one_file": "一次只能选一个文件。",
    "no_file": "没有选择文件。",
    "not_a_photo": "这不是照片。请选择 JPG 或 PNG 照片。",
    "invalid_image": "这张照片打不开，请换一张。",
    "import_running": "正在导入，请等它完成。",
    "bad_pairing_code": "配对码不对或已经过期。",
    "bad_invitation": "邀请码不对或已经过期。",
    "bad_credentials": "邮箱或密码不对。",
    "not_enough_voice": "清楚的说话声还不够，请再录一些。",
    "no_cloned_voice": "还没有用录音做出这个人的声音：请先录音，再生成声音。",
    "bad_request": "请求有误，请再试一次。",
    "conflict": "现在不能这样做，请刷新后再试。",
    "too_many_requests": "请求太多了，请稍后再试。",
    "request_timeout": "录音没有传完整，请再试一次。",
    "internal": "服务器出了点问题，请稍后再试。",
    "store_unavailable": "服务器现在连不上存放文件的地方，请稍后再试。",
    "database_unavailable": "服务器现在连不上数据库，请稍后再试。",
    "turn_in_progress": "这段话正在回答，请稍等。",
    "invalid_idempotency_key": "请求有误，请再试一次。",
    "damaged_file": "这个文件坏了，或者打不开。",
    "empty_file": "这个文件是空的。",
    "encrypted_file": "这个文件有密码保护。请另存一份没有密码的再试。",
    "image_too_small": "这张照片太小，做不了肖像；请用原来的照片。",
    "invalid_kind": "不认识这种导入类型。",
    "unsupported_file": "不支持这种文件。",
    "zip_bomb": "这个文件解开后会大得多，所以没有打开。",
    "took_too_long": "这个文件读得太久了。请把它分成几个小文件，或者用原来的程序重新保存一份再试。",
    "not_a_chat": "这看起来不像聊天记录的导出文件。",
    "no_text": "这个PDF里是页面的图片，不是文字（可能是扫描的）。请用有文字的版本。",
    # The names in the chat stay as the server lists them.
    "who_is_self": "请说明聊天记录里哪一位是这个人物。（{server}）",
}
for _code, _zh in _SERVER_ERRORS_ZH.items():
    STRINGS.setdefault(f"api_{_code}", {"en": "", "zh": _zh})


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
