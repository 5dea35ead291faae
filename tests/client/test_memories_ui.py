"""The caregiver's memories, what the family told the persona, and the alerts, on the real tablet app
under X against the real server (``keepsake serve --demo``).

The caregiver signs in with the family account, opens Rose's memories, types a memory, brings in a
memoir file chosen in the tablet's file list and watches its import reach "done", searches it, hides,
edits and deletes memories, reads and hides what the relative told Rose in a conversation, and reads
the crisis alert that a conversation raised. Every change is checked through the server's API.

Screenshots (looked at by a person): test-output/screenshots/{en,zh}-memories-*.png, *-alerts.png.
"""

from __future__ import annotations

import time

import pytest

from tests.client.harness import (
    caregiver_client,
    has_xdotool,
    open_caregiver_area,
    paired_app,
    persona_named,
    region_is_not_flat,
    replace_text,
    scroll_into_view,
    sign_in_on_tablet,
    tell_persona,
    type_into,
    wait_scrolled,
    xdotool,
)

pytestmark = [pytest.mark.ui, pytest.mark.skipif(not has_xdotool(), reason="xdotool is not installed")]

NEWS = "My grandson Tom was born last week."
CRISIS = "I don't want to live anymore."
STOP = "Please stop. I don't want this."
NEWS_ZH = "我的孙女小梅上个月结婚了。"


def memoir_text(word: str, chapters: int = 12, paragraphs: int = 24, place: str = "Hook Head") -> str:
    """A memoir with chapter headings; ``word`` appears once, in chapter 2, so a search finds one place."""
    parts = []
    for chapter in range(1, chapters + 1):
        parts.append(f"Chapter {chapter}: The years by the sea, part {chapter}")
        for paragraph in range(1, paragraphs + 1):
            sentence = (
                f"In the spring of {1940 + chapter} we walked along the harbour wall to watch the boats come in, "
                f"and mother counted the gulls on the roofs of the fish market, paragraph {paragraph}."
            )
            if chapter == 2 and paragraph == 3:
                sentence = f"Father took me up the old {word} at {place}, and we saw the whole bay shining below us."
            parts.append(sentence + " " + sentence.replace("we ", "they ", 1))
    return "\n\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def rose(live_server) -> dict:
    """Rose, after a conversation in which the relative told her news, and one in which they spoke of dying."""
    persona = persona_named(live_server.url, live_server.data_dir, "Rose Whitfield")
    tell_persona(live_server.url, live_server.data_dir, persona["id"], STOP)  # on a tablet of its own
    tell_persona(live_server.url, live_server.data_dir, persona["id"], NEWS, NEWS_ZH)
    answers = tell_persona(live_server.url, live_server.data_dir, persona["id"], CRISIS)
    assert any(e.get("type") == "notice" and e.get("code") == "crisis" for e in answers[0]), answers
    return persona


def open_memories(app, live_server, persona_id: str) -> dict:
    open_caregiver_area(app)
    sign_in_on_tablet(app, live_server.data_dir)
    scroll_into_view(app, f"studio_memories_{persona_id}")
    app.tap(f"studio_memories_{persona_id}")
    app.wait_screen("memories")
    return app.wait_for("memories_shown", lambda e: e["count"] > 0, timeout=30)


def tap_in_list(app, widget_id: str, scroll_id: str, tries: int = 12) -> None:
    """Turn the mouse wheel over the list until ``widget_id`` is wholly inside it (not only inside the window), then tap."""
    for _ in range(tries):
        widgets = app.layout()["widgets"]
        x, y, w, h = widgets[widget_id]
        sx, sy, sw, sh = widgets[scroll_id]
        if y >= sy and y + h <= sy + sh:
            app.tap(widget_id)
            return
        button = "5" if y + h > sy + sh else "4"  # 5 scrolls down, 4 up
        xdotool("mousemove", str(sx + sw // 2), str(sy + sh // 2), "click", "--repeat", "2", button)
        wait_scrolled(app, widget_id, [x, y, w, h])
    raise AssertionError(f"{widget_id} could not be scrolled into {scroll_id}")


def wait_typed(app, widget_id: str, text: str, timeout: float = 10) -> None:
    app.wait_typed(widget_id, text, timeout)


def api_memory(live_server, persona_id: str, memory_id: str) -> dict | None:
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        response = http.get(f"/v1/personas/{persona_id}/memories/{memory_id}")
        return response.json() if response.status_code == 200 else None


def test_caregiver_reviews_adds_and_imports_memories_and_reads_alerts(start_app, live_server, rose, tmp_path, speak):
    home = tmp_path / "home"  # the file list opens at the home folder: the memoir waits there
    home.mkdir()
    (home / "rose-memoir.txt").write_text(memoir_text("lighthouse"), encoding="utf-8")
    # what the file microphone hears when Rose records herself
    own_voice = speak("When I was a girl we had a little dog called Biscuit. He walked me to school every single day.")
    app = paired_app(start_app, live_server, mic_file=own_voice, extra_env={"HOME": str(home)})
    pid = rose["id"]

    first_page = open_memories(app, live_server, pid)
    assert first_page["count"] == 8 and first_page["offset"] == 0  # Rose has 38 memories: a page of 8
    app.wait_shown("memory_0_title")  # rows wrap their words a frame after they are filled
    shown = app.layout()["shown"]
    assert "Demo story" in shown["memory_0_origin"] and shown["memory_0_text"]
    assert shown["list_status"] == "Memories 1 to 8"
    app.screenshot("en-memories-list.png")

    # the next page, and back
    app.tap("next_page")
    assert app.wait_for("memories_shown")["offset"] == 8
    app.tap("prev_page")
    assert app.wait_for("memories_shown")["offset"] == 0

    # --- a typed memory
    app.tap("tab_add")
    type_into(app, "title_field", "The red bicycle")
    type_into(app, "text_field", "Rose rode a red bicycle to the bakery every morning before school.")
    app.tap("save_memory")
    added = app.wait_for("memory_added", timeout=30)
    typed = api_memory(live_server, pid, added["id"])
    assert typed["title"] == "The red bicycle" and "red bicycle" in typed["text"]
    assert typed["origin"]["kind"] == "typed" and not typed["hidden"]
    assert app.wait_shown("add_status", lambda text: text.startswith("Saved."))

    # --- Rose's own voice, recorded on the tablet: imported as a voice memo, its progress shown as it goes
    scroll_into_view(app, "record_start")
    app.tap("record_start")
    assert app.wait_for("recording", timeout=10)["started"] is True
    time.sleep(3)
    assert app.wait_shown("record_status", lambda text: text.startswith("Recording… "))
    app.screenshot("en-memories-recording.png")
    time.sleep(4.5)  # the file microphone speaks in real time (about six seconds)
    scroll_into_view(app, "record_stop")
    app.tap("record_stop")
    assert app.wait_for("recording", timeout=15)["kept"] is True
    memo = app.wait_for("import_started", timeout=30)
    assert memo["source_kind"] == "voice_memo"
    scroll_into_view(app, "import_status")
    running = app.wait_for("import_progress", lambda e: e["job_id"] == memo["job_id"], timeout=30)
    app.wait_still()  # its words are wrapped a frame after they change
    app.screenshot("en-memories-import.png")  # in progress: decoding or transcribing
    memo_done = app.wait_for("import_finished", lambda e: e["job_id"] == memo["job_id"], timeout=240, since_start=True)
    assert memo_done["state"] == "done", memo_done
    assert running["state"] != "done" or memo_done["counts"]["parts"] >= 1
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        source = next(
            s
            for s in http.get(f"/v1/personas/{pid}/sources").json()
            if s["id"] == http.get(f"/v1/jobs/{memo['job_id']}").json()["source_id"]
        )
        recorded = http.get(f"/v1/personas/{pid}/memories/search", params={"source_id": source["id"]}).json()
    assert source["kind"] == "voice_memo" and source["filename"].startswith("Grandma Rose ")
    assert recorded and all(m["audio_url"] for m in recorded)  # kept as her own recording
    assert "dog" in " ".join(m["text"].lower() for m in recorded)

    # --- a memoir from a file chosen on the tablet, its progress watched to the end
    scroll_into_view(app, "choose_file")
    app.tap("choose_file")
    chooser = app.wait_for("file_chooser", timeout=10)
    assert chooser["folder"] == str(home) and "rose-memoir.txt" in chooser["files"]
    type_into(app, "chooser_path", "rose-memoir.txt")
    app.tap("chooser_ok")
    started = app.wait_for("import_started", timeout=30)
    finished = app.wait_for("import_finished", lambda e: e["job_id"] == started["job_id"], timeout=180, since_start=True)
    assert finished["state"] == "done", finished
    assert finished["counts"]["memories"] >= 5 and finished["counts"]["chapters"] == 12
    assert app.wait_shown("import_status", lambda text: "rose-memoir.txt is in:" in text and "memories" in text)
    app.screenshot("en-memories-import-done.png")
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        job = http.get(f"/v1/jobs/{started['job_id']}").json()
        sources = http.get(f"/v1/personas/{pid}/sources").json()
    assert job["state"] == "done" and job["percent"] == 100
    memoir = [s for s in sources if s["filename"] == "rose-memoir.txt"]
    assert memoir and memoir[0]["kind"] == "memoir"

    # --- her recording in the list: where it came from, and that it is her own voice
    app.tap("tab_list")
    type_into(app, "search_field", "dog")
    app.tap("search_button")
    found = app.wait_for("memories_shown", lambda e: e["query"] == "dog", timeout=30)
    index = found["ids"].index(recorded[0]["id"])
    origin = app.wait_shown(f"memory_{index}_origin", lambda text: "own voice" in text)
    assert origin.startswith("Recording · Grandma Rose ") and ".wav · recording 0:" in origin
    assert origin.endswith(" · in Grandma Rose's own voice")
    # the caregiver hears it as the relative will: her recording, through the tablet's speaker
    widgets = app.layout()["widgets"]
    assert widgets[f"memory_{index}_listen"][2] > 100  # Listen, only where there is her recording
    assert all(widgets[f"memory_{i}_listen"][2] == 0 for i in range(min(found["count"], 8)) if i != index)
    tap_in_list(app, f"memory_{index}_listen", "list_scroll")
    app.screenshot("en-memories-own-voice.png")  # scrolled so that her recording's row shows whole
    # Counted from the start: playback may begin before the screenshot is saved, and waiting for
    # the screenshot moves past every event before it.
    played = app.wait_for("memory_played", lambda e: e["id"] == recorded[0]["id"], timeout=30, since_start=True)
    assert played["id"] == recorded[0]["id"] and played["seconds"] > 3
    assert app.wait_for("caption", lambda e: e["own_voice"] is True, timeout=10)
    app.wait_for("played", timeout=30)

    # --- search for a word from the memoir: one memory, from chapter 2 of the file
    replace_text(app, "search_field", "lighthouse")
    app.tap("search_button")
    found = app.wait_for("memories_shown", lambda e: e["query"] == "lighthouse", timeout=30)
    assert found["count"] >= 1
    app.wait_shown("memory_0_origin", lambda text: "rose-memoir.txt" in text)
    shown = app.layout()["shown"]
    assert "rose-memoir.txt" in shown["memory_0_origin"] and "chapter 2" in shown["memory_0_origin"]
    assert "lighthouse" in shown["memory_0_text"]
    memory_id = found["ids"][0]

    # hide it: the server marks it hidden, and the row says so
    tap_in_list(app, "memory_0_hide", "list_scroll")
    saved = app.wait_for("memory_saved", timeout=30)
    assert saved["id"] == memory_id and saved["hidden"] is True
    assert api_memory(live_server, pid, memory_id)["hidden"] is True
    assert app.wait_shown("memory_0_hidden_note", lambda text: text.startswith("Hidden"))
    app.screenshot("en-memories-hidden.png")

    # edit its words
    tap_in_list(app, "memory_0_edit", "list_scroll")
    replace_text(app, "memory_0_editor", "Father took me up the lighthouse at Hook Head when I was seven.")
    app.screenshot("en-memories-edit.png")
    tap_in_list(app, "memory_0_save", "list_scroll")
    assert app.wait_for("memory_saved", timeout=30)["fields"] == ["text", "title"]
    edited = api_memory(live_server, pid, memory_id)
    assert edited["text"] == "Father took me up the lighthouse at Hook Head when I was seven."
    assert edited["hidden"] is True and edited["origin"]["filename"] == "rose-memoir.txt"

    # delete the typed memory, after saying yes
    replace_text(app, "search_field", "red bicycle")
    app.tap("search_button")
    found = app.wait_for("memories_shown", lambda e: e["query"] == "red bicycle", timeout=30)
    assert found["ids"][0] == added["id"]
    tap_in_list(app, "memory_0_delete", "list_scroll")
    assert app.wait_shown("memory_0_confirm_question", lambda text: text == "Delete this memory for good?")
    assert api_memory(live_server, pid, added["id"]) is not None  # not before the yes
    tap_in_list(app, "memory_0_yes_delete", "list_scroll")
    assert app.wait_for("memory_deleted", timeout=30)["id"] == added["id"]
    assert api_memory(live_server, pid, added["id"]) is None
    # the list is asked again: the memory is gone from it (the search also offers near matches)
    assert added["id"] not in app.wait_for("memories_shown", lambda e: e["query"] == "red bicycle")["ids"]

    # --- what the relative told Rose
    app.tap("tab_facts")
    app.wait_shown("fact_0_origin")
    shown = app.wait_still()["shown"]
    told = [shown[k] for k in shown if k.startswith("fact_") and k.endswith("_text")]
    assert any("grandson Tom was born" in text for text in told), told
    index = next(i for i in range(len(told)) if "grandson Tom" in shown[f"fact_{i}_text"])
    assert shown[f"fact_{index}_origin"].startswith("Told on ")
    app.screenshot("en-memories-facts.png")
    tap_in_list(app, f"fact_{index}_hide", "facts_scroll")
    fact_saved = app.wait_for("fact_saved", timeout=30)
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        facts = {f["id"]: f for f in http.get(f"/v1/personas/{pid}/facts").json()}
    assert facts[fact_saved["id"]]["hidden"] is True and "grandson Tom" in facts[fact_saved["id"]]["text"]

    # --- the alerts: the crisis first, standing out
    app.tap("back")
    app.wait_screen("caregiver")
    app.wait_for("studio_personas", timeout=30)
    app.wait_for("alerts_counted", timeout=30)
    app.wait_shown("studio_alerts", lambda text: text.startswith("Alerts ("))
    scroll_into_view(app, "studio_alerts")
    app.screenshot("en-caregiver-alerts-count.png")
    app.tap("studio_alerts")
    app.wait_screen("alerts")
    listed = app.wait_for("alerts_shown", timeout=30)
    assert listed["kinds"][:2] == ["crisis", "relative_stopped"]  # newest first
    app.wait_shown("alert_1_message")
    shown = app.layout()["shown"]
    assert shown["alert_0_kind"] == "!  Crisis: the relative may be in danger"
    assert shown["alert_1_kind"] == "The relative asked to stop talking" and STOP in shown["alert_1_message"]
    assert CRISIS in shown["alert_0_message"] and "Rose Whitfield" in shown["alert_0_when"]
    shot = app.screenshot("en-alerts.png")
    assert region_is_not_flat(shot, (0.02, 0.2, 0.98, 0.5))
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        alerts = http.get("/v1/alerts").json()
    assert alerts[0]["kind"] == "crisis" and alerts[0]["message"] == CRISIS
    assert listed["total"] == len(alerts)


def test_chinese_screens(start_app, live_server, rose, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "回忆录.txt").write_text(memoir_text("灯塔", chapters=30, paragraphs=30, place="Saltee Sound"), encoding="utf-8")
    app = paired_app(start_app, live_server, language="zh", extra_env={"HOME": str(home)})
    pid = rose["id"]
    open_memories(app, live_server, pid)
    shown = app.layout()["shown"]
    assert shown["tab_list"] == "回忆" and shown["back"] == "返回设置"
    assert shown["list_status"] == "第 1 到 8 条回忆"
    app.screenshot("zh-memories-list.png")

    app.tap("tab_add")
    app.wait_still()
    app.screenshot("zh-memories-add.png")
    app.tap("choose_file")
    assert "回忆录.txt" in app.wait_for("file_chooser", timeout=10)["files"]
    type_into(app, "chooser_path", str(home / "memoir-not-there.txt"))
    app.tap("chooser_ok")
    assert app.wait_shown("chooser_status", lambda text: text.startswith("没有叫"))
    # the file list: tap the memoir's line (the only file in the folder); its name fills the field
    x, y, w, _h = app.layout()["widgets"]["chooser"]
    xdotool("mousemove", str(x + w // 3), str(y + 30), "click", "1")
    wait_typed(app, "chooser_path", "回忆录.txt")
    app.tap("chooser_ok")
    started = app.wait_for("import_started", timeout=30)
    app.wait_for("import_progress", timeout=30)
    app.wait_still()  # its words are wrapped a frame after they change
    app.screenshot("zh-memories-import.png")
    finished = app.wait_for("import_finished", lambda e: e["job_id"] == started["job_id"], timeout=180, since_start=True)
    assert finished["state"] == "done", finished
    app.wait_shown("import_status", lambda text: "回忆录.txt 已导入" in text and "条回忆" in text).replace("\n", "")
    app.screenshot("zh-memories-import-done.png")

    # found again by its words, with its place in Chinese (xdotool drops Chinese keys: the words are Latin)
    app.tap("tab_list")
    type_into(app, "search_field", "Saltee Sound")
    app.tap("search_button")
    found = app.wait_for("memories_shown", lambda e: e["query"] == "Saltee Sound", timeout=30)
    assert found["count"] >= 1 and found["titles"][0] == "Chapter 2: The years by the sea, part 2"  # the exact words first
    origin = app.wait_shown("memory_0_origin", lambda text: "第2章" in text).replace("\n", "")
    # the file keeps the name the family gave it, in Chinese
    assert origin.startswith("回忆录 · 回忆录.txt · 第2章，第")
    app.screenshot("zh-memories-search.png")

    app.tap("tab_facts")
    app.wait_shown("fact_0_origin")
    shown = app.wait_still()["shown"]
    told = [v.replace("\n", "") for k, v in shown.items() if k.startswith("fact_") and k.endswith("_text")]
    assert any("小梅" in text for text in told), told
    app.screenshot("zh-memories-facts.png")
    # delete it, after the yes
    index = next(i for i in range(len(told)) if "小梅" in shown[f"fact_{i}_text"].replace("\n", ""))
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        fact_id = next(f["id"] for f in http.get(f"/v1/personas/{pid}/facts").json() if "小梅" in f["text"])
    tap_in_list(app, f"fact_{index}_delete", "facts_scroll")
    assert app.wait_shown(f"fact_{index}_confirm_question", lambda text: text == "永久删除这一条吗？")
    tap_in_list(app, f"fact_{index}_yes_delete", "facts_scroll")
    assert app.wait_for("fact_deleted", timeout=30)["id"] == fact_id
    with caregiver_client(live_server.url, live_server.data_dir) as http:
        assert fact_id not in {f["id"] for f in http.get(f"/v1/personas/{pid}/facts").json()}

    app.tap("back")
    app.wait_screen("caregiver")
    app.wait_for("studio_personas", timeout=30)
    scroll_into_view(app, "studio_alerts")
    app.tap("studio_alerts")
    app.wait_screen("alerts")
    app.wait_for("alerts_shown", timeout=30)
    app.wait_shown("alert_0_message")
    shown = app.layout()["shown"]
    assert shown["alert_0_kind"].replace("\n", "") == "!  紧急：亲人可能有危险"
    app.screenshot("zh-alerts.png")
