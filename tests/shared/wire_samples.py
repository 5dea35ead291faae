"""Answers of the API as sample values, for checking that the contract's JSON stays the same.

``wire_before.json`` holds these samples as the models written them before the contract moved
wholly into ``shared.api`` (made once with the models of that time); the test writes them again.
"""

from __future__ import annotations

PERSONA = {
    "id": "per_1",
    "household_id": "hh_1",
    "display_name": "Rose",
    "addressed_as": ["Grandma", "Nan"],
    "language": "en",
    "biography": "Born in Whitby.",
    "speaking_style": None,
    "boundaries": ["politics"],
    "mode": "story",
    "kind": "deceased",
    "voice_id": None,
    "mouth": {"x": 0.5, "y": 0.62, "width": 0.2},
    "disclosure": True,
    "portrait_url": "/v1/personas/per_1/portrait",
    "consent": {
        "id": "con_1",
        "persona_id": "per_1",
        "given_by": "Anne",
        "relation": "daughter",
        "scope": "own_words",
        "statement": "She would want this.",
        "created_at": "2026-11-28T10:00:00+00:00",
    },
    "status": "active",
    "memory_count": 12,
    "created_at": "2026-11-28T10:00:00+00:00",
    "updated_at": "2026-11-29T08:30:00.123456+00:00",
}
SENTENCE = {
    "type": "sentence",
    "index": 0,
    "text": "Hello, love.",
    "audio_url": "/v1/media/a?sig=x",
    "duration_ms": 900,
    "mouth": {"fps": 25, "values": [0.0, 0.5]},
}
SAMPLE = {
    "id": "vs_1",
    "persona_id": "per_1",
    "filename": None,
    "duration_s": 12.5,
    "speech_s": 10.0,
    "clean_s": 9.5,
    "usable": True,
    "verdict": "good",
    "message": "Good.",
    "metrics": {"peak_db": -3.0},
    "created_at": "2026-11-28T10:00:00Z",
}
JOB = {
    "id": "job_1",
    "kind": "import",
    "persona_id": "per_1",
    "source_id": "src_1",
    "state": "done",
    "percent": 100.0,
    "stage": None,
    "counts": {"memories": 3, "chapters": 2},
    "errors": [],
    "created_at": "2026-11-28T10:00:00Z",
    "updated_at": "2026-11-28T10:00:05Z",
    "finished_at": "2026-11-28T10:00:05Z",
}

# model name -> its sample
SAMPLES = {
    "Persona": PERSONA,
    "SessionOut": {
        "id": "ses_1",
        "persona": PERSONA,
        "greeting": {"text": "Hello, love.", "sentences": [SENTENCE]},
        "ended": False,
        "created_at": "2026-11-28T10:00:00+00:00",
    },
    "Fact": {
        "id": "fact_1",
        "persona_id": "per_1",
        "session_id": None,
        "text": "Tom started at the bakery",
        "hidden": False,
        "shared": True,
        "told_by": {"kind": "caregiver", "id": "cg_1", "name": "anne@example.com"},
        "created_at": "2026-12-06T16:07:00+00:00",
    },
    "HistoryOut": {
        "session_id": "ses_1",
        "persona_id": "per_1",
        "items": [{"turn_id": "turn_1", "role": "relative", "text": "Hello", "created_at": "2026-11-28T10:00:00+00:00"}],
    },
    "DeviceSelf": {
        "id": "dev_1",
        "name": "Grandma's tablet",
        "household_id": "hh_1",
        "settings": {"daily_minutes": 60, "quiet_hours_start": "22:00", "quiet_hours_end": "07:00", "timezone": "Europe/London"},
        "crisis_contact_name": "Anne",
        "crisis_contact_phone": "+44 1234 567890",
        "emergency_number": "999",
    },
    "JobOut": JOB,
    "SourceOut": {
        "id": "src_1",
        "persona_id": "per_1",
        "kind": "memoir",
        "filename": "rose.txt",
        "media_id": "med_1",
        "details": {"format": "txt", "size": 1234},
        "memory_count": 3,
        "created_at": "2026-11-28T10:00:00Z",
        "job": JOB,
    },
    "VoiceOverview": {
        "total_clean_s": 9.5,
        "needed_s": 30.0,
        "enough": False,
        "message": "20 more seconds.",
        "samples": [SAMPLE],
        "voice_id": None,
        "cloning": {"available": False, "provider": None, "message": "No service."},
    },
    "SampleAdded": {"total_clean_s": 9.5, "needed_s": 30.0, "enough": False, "message": "20 more seconds.", "sample": SAMPLE},
    "CloneResult": {"voice_id": "v_1", "provider": "elevenlabs", "samples_used": 3, "clean_s": 31.0, "message": "Done."},
    "Dictation": {"text": "We went every summer.", "language": "en"},
    "ImportStarted": {"job_id": "job_1", "source_id": "src_1", "kind": "document", "job_url": "/v1/jobs/job_1"},
    "MemoryOut": {
        "id": "mem_1",
        "persona_id": "per_1",
        "title": "The seaside",
        "text": "We went every summer.",
        "source": "memoir",
        "hidden": False,
        "created_at": "2026-11-28T10:00:00Z",
        "audio_url": None,
        "origin": {"kind": "memoir", "source_id": "src_1", "filename": "rose.txt", "position": "chapter 2, paragraphs 4–7"},
    },
}


def written(models) -> dict[str, str]:
    """Each sample as its model writes it (``models`` maps a name to the model class)."""
    return {name: models[name].model_validate(sample).model_dump_json() for name, sample in SAMPLES.items()}
