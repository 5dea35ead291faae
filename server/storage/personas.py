"""Personas and their consent records."""

from __future__ import annotations

import json

from shared.api import ConsentCreate, ConsentOut, FaceLandmarks, MouthPoint, Persona, PersonaCreate, PersonaUpdate
from server.storage.db import Database, Row, dumps, iso, new_id, parse_time
from server.storage.records import PersonaProfile

_JSON_FIELDS = {"addressed_as", "boundaries"}


def _consent(row: Row | None) -> ConsentOut | None:
    if row is None:
        return None
    return ConsentOut(
        id=row["id"],
        persona_id=row["persona_id"],
        given_by=row["given_by"],
        relation=row["relation"],
        scope=row["scope"],
        statement=row["statement"],
        created_at=parse_time(row["created_at"]),
    )


def latest_consent(db: Database, persona_id: str) -> ConsentOut | None:
    row = db.one("SELECT * FROM consents WHERE persona_id = ? ORDER BY created_at DESC LIMIT 1", (persona_id,))
    return _consent(row)


def _persona(db: Database, row: Row) -> Persona:
    count = db.first("SELECT COUNT(*) FROM memories WHERE persona_id = ? AND hidden = 0", (row["id"],))[0]
    return Persona(
        id=row["id"],
        household_id=row["household_id"],
        display_name=row["display_name"],
        addressed_as=json.loads(row["addressed_as"]),
        language=row["language"],
        biography=row["biography"],
        speaking_style=row["speaking_style"],
        boundaries=json.loads(row["boundaries"]),
        mode=row["mode"],
        kind=row["kind"],
        voice_id=row["voice_id"],
        mouth=MouthPoint.model_validate_json(row["mouth"]) if row["mouth"] else None,
        face=FaceLandmarks.model_validate_json(row["face"]) if row["face"] else None,
        disclosure=bool(row["disclosure"]),
        sex=row["sex"],
        voice_choice=row["voice_choice"],
        portrait_url=f"/v1/personas/{row['id']}/portrait" if row["portrait_media_id"] else None,
        consent=latest_consent(db, row["id"]),
        status=row["status"],
        memory_count=count,
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
    )


def _row(db: Database, household_id: str, persona_id: str) -> Row | None:
    return db.one("SELECT * FROM personas WHERE id = ? AND household_id = ?", (persona_id, household_id))


def get(db: Database, household_id: str, persona_id: str) -> Persona | None:
    row = _row(db, household_id, persona_id)
    return _persona(db, row) if row else None


def list_all(db: Database, household_id: str) -> list[Persona]:
    rows = db.all("SELECT * FROM personas WHERE household_id = ? ORDER BY created_at", (household_id,))
    return [_persona(db, r) for r in rows]


def create(db: Database, household_id: str, body: PersonaCreate) -> Persona:
    persona_id = new_id("per")
    stamp = iso()
    db.execute(
        "INSERT INTO personas (id, household_id, display_name, addressed_as, language, biography, speaking_style,"
        " boundaries, mode, kind, voice_id, mouth, disclosure, sex, voice_choice, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            persona_id,
            household_id,
            body.display_name,
            dumps(body.addressed_as),
            body.language,
            body.biography,
            body.speaking_style,
            dumps(body.boundaries),
            body.mode,
            body.kind,
            body.voice_id,
            body.mouth.model_dump_json() if body.mouth else None,
            int(body.disclosure),
            body.sex,
            body.voice_choice,
            stamp,
            stamp,
        ),
    )
    made = get(db, household_id, persona_id)
    assert made is not None  # the row written just above
    return made


def update(db: Database, household_id: str, persona_id: str, body: PersonaUpdate, *, face: FaceLandmarks | None = None) -> Persona | None:
    """The persona as changed; None when it is no longer there (deleted meanwhile).

    ``face``: the face to keep for ``body.face`` (the correction with the found chin and mesh moved
    along, ``server.face_correction``); without it, the correction alone."""
    changes = body.model_dump(exclude_unset=True)
    columns: dict[str, object] = {}
    for key, value in changes.items():
        if key in _JSON_FIELDS:
            value = dumps(value or [])
        elif key == "mouth":
            value = body.mouth.model_dump_json() if body.mouth else None
        elif key == "face":
            if body.face is None:
                value = None
            else:
                value = (face or FaceLandmarks(**body.face.model_dump(), source="caregiver")).model_dump_json()
                if "mouth" not in changes:  # older tablets read the mouth alone
                    columns["mouth"] = MouthPoint(**body.face.mouth.model_dump()).model_dump_json()
        elif key == "disclosure":
            value = int(bool(value))
        elif key in ("display_name", "language", "mode", "kind", "biography") and value is None:
            continue  # these columns always hold a value; null means "leave as is"
        columns[key] = value
    if columns:
        columns["updated_at"] = iso()
        assignments = ", ".join(f"{k} = ?" for k in columns)  # keys come from the model, not the client
        db.execute(
            f"UPDATE personas SET {assignments} WHERE id = ? AND household_id = ?",
            (*columns.values(), persona_id, household_id),
        )
    return get(db, household_id, persona_id)


def set_portrait(
    db: Database,
    household_id: str,
    persona_id: str,
    media_id: str,
    mouth: MouthPoint | None,
    face: FaceLandmarks | None = None,
) -> None:
    """A new portrait, with the face found on it (None: none was found) and the mouth to use
    (None: the one found on the face, else the one the persona had)."""
    if mouth is None and face is not None:
        mouth = MouthPoint(**face.mouth.model_dump())
    db.execute(
        "UPDATE personas SET portrait_media_id = ?, mouth = COALESCE(?, mouth), face = ?, updated_at = ? WHERE id = ? AND household_id = ?",
        (media_id, mouth.model_dump_json() if mouth else None, face.model_dump_json() if face else None, iso(), persona_id, household_id),
    )


def portrait_media_id(db: Database, household_id: str, persona_id: str) -> str | None:
    row = _row(db, household_id, persona_id)
    return row["portrait_media_id"] if row else None


def set_status(
    db: Database, household_id: str, persona_id: str, status: str, *, retire_to: str | None = None, farewell: str | None = None
) -> None:
    db.execute(
        "UPDATE personas SET status = ?, retire_to = COALESCE(?, retire_to), farewell = COALESCE(?, farewell), updated_at = ?"
        " WHERE id = ? AND household_id = ?",
        (status, retire_to, farewell, iso(), persona_id, household_id),
    )


def retirement(db: Database, persona_id: str) -> tuple[str | None, str | None]:
    """(archive|erase, the farewell words the family wrote) for a retiring persona."""
    row = db.one("SELECT retire_to, farewell FROM personas WHERE id = ?", (persona_id,))
    return (row["retire_to"], row["farewell"]) if row else (None, None)


def delete(db: Database, household_id: str, persona_id: str) -> bool:
    with db.transaction() as conn:
        conn.execute("DELETE FROM memory_fts WHERE persona_id = ?", (persona_id,))
        return conn.execute("DELETE FROM personas WHERE id = ? AND household_id = ?", (persona_id, household_id)).rowcount == 1


def add_consent(db: Database, household_id: str, persona_id: str, body: ConsentCreate) -> ConsentOut:
    consent_id = new_id("con")
    db.execute(
        "INSERT INTO consents (id, persona_id, household_id, given_by, relation, scope, statement, created_at) VALUES (?,?,?,?,?,?,?,?)",
        (consent_id, persona_id, household_id, body.given_by, body.relation, body.scope, body.statement, iso()),
    )
    consent = _consent(db.one("SELECT * FROM consents WHERE id = ?", (consent_id,)))
    assert consent is not None  # the row written just above
    return consent


def profile(persona: Persona) -> PersonaProfile:
    """The part of a persona the conversation stage needs."""
    return PersonaProfile(
        id=persona.id,
        display_name=persona.display_name,
        addressed_as=list(persona.addressed_as),
        language=persona.language,
        biography=persona.biography,
        speaking_style=persona.speaking_style,
        boundaries=list(persona.boundaries),
        kind=persona.kind,
        mode=persona.mode,
        voice_id=persona.voice_id,
    )
