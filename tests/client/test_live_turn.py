"""A live turn's recording leaves the outbox exactly once the server has its words, whichever
comes first; and a microphone listening over the answer goes on recording when the relative cuts in."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from client.answer import Answer, LiveTurn
from client.audio import MIC_RATE
from client.outbox import Pending
from client.platform.mic_base import PcmMic


def pending(tmp_path: Path) -> Pending:
    return Pending(audio=tmp_path / "a.wav", mime="audio/wav", session_id="ses_1", created=0.0, key="key-1")


def test_the_server_first_then_the_outbox(tmp_path):
    live = LiveTurn(Answer("reply"))
    assert live.server_has_words() is None  # nothing in the outbox yet
    assert live.keep(pending(tmp_path)) is True  # so it leaves as soon as it arrives


def test_the_outbox_first_then_the_server(tmp_path):
    live, item = LiveTurn(Answer("reply")), pending(tmp_path)
    assert live.keep(item) is False
    assert live.server_has_words() is item


def test_whatever_the_order_exactly_one_side_lets_go(tmp_path):
    item = pending(tmp_path)
    for _ in range(300):
        live, results = LiveTurn(Answer("reply")), {}
        start = threading.Barrier(2)

        def reader(live=live, results=results, start=start) -> None:
            start.wait()
            results["reader"] = live.server_has_words() is not None

        def tablet(live=live, results=results, start=start) -> None:
            start.wait()
            results["tablet"] = live.keep(item)

        threads = [threading.Thread(target=reader), threading.Thread(target=tablet)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results["reader"] != results["tablet"], results


class _Mic(PcmMic):
    name = "test"

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass


def _speech(seconds: float) -> np.ndarray:
    t = np.arange(int(MIC_RATE * seconds)) / MIC_RATE
    return (8000 * np.sin(2 * np.pi * 180 * t)).astype(np.int16)


def test_listening_over_the_answer_keeps_only_the_last_moment_and_goes_on_when_they_cut_in(tmp_path):
    mic, events = _Mic(), []
    sent: list[bytes] = []
    mic.start(lambda kind, value: None, on_pcm=sent.append, keep_s=1.0)
    quiet = np.zeros(480, np.int16)
    for _ in range(300):  # 9 s of the answer playing, nobody speaking
        mic._feed(quiet)
    assert sum(len(c) for c in mic._chunks) < 4 * MIC_RATE  # not the whole answer
    mic._feed(_speech(0.3))  # they cut in
    kept_to_server = len(sent)
    mic.retarget(lambda kind, value: events.append(kind), on_pcm=sent.append)
    for chunk in np.array_split(_speech(1.2), 40):
        mic._feed(chunk)
    for _ in range(60):  # then a pause: the detector ends the utterance
        mic._feed(quiet)
    assert "end" in events
    assert len(sent) > kept_to_server  # the stream to the server never stopped
    recording = mic.stop(tmp_path)
    assert recording is not None and recording.heard_speech
    # The recording is the speech (its start kept from before the cut-in), not the answer's quiet.
    assert 1.4 <= recording.duration_s <= 2.6, recording.duration_s
