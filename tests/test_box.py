"""The ballot box's cryptography (survey_app.services.box): what opens what."""
from __future__ import annotations

import pytest

from survey_app.services.box import BoxError, new_box, open_envelope, open_private, seal_envelope

SECRET = "box-test-secret-of-more-than-32-bytes-1b2c"


def test_the_server_seals_with_the_public_key_and_cannot_open_without_the_wrapped_private_one():
    box = new_box(7, secret=SECRET)
    sealed = seal_envelope(box.public, 7, {"group": "cc_so", "answers": [["S01", "tot"]], "seconds": 312}, 512)
    assert b"cc_so" not in sealed and b"tot" not in sealed and b"312" not in sealed
    with pytest.raises(BoxError):
        open_private(box, 7, secret="another-secret-of-more-than-32-bytes-xx")
    with pytest.raises(BoxError):
        open_private(box, 8, secret=SECRET)  # a box moved to another campaign
    private = open_private(box, 7, secret=SECRET)
    assert open_envelope(private, 7, sealed)["seconds"] == 312
    with pytest.raises(BoxError):
        open_envelope(private, 8, sealed)  # an envelope moved to another campaign
    other = open_private(new_box(7, secret=SECRET), 7, secret=SECRET)
    with pytest.raises(BoxError):
        open_envelope(other, 7, sealed)
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(BoxError):
        open_envelope(private, 7, altered)


def test_with_the_passphrase_setting_secret_key_and_database_open_nothing():
    box = new_box(3, secret=SECRET, passphrase="hòm phiếu của Sở Nội vụ năm 2026")
    assert box.how == "passphrase"
    with pytest.raises(BoxError):
        open_private(box, 3, secret=SECRET)  # the operator with the database and SECRET_KEY
    with pytest.raises(BoxError):
        open_private(box, 3, passphrase="hòm phiếu của Sở Nội vụ năm 2025")
    private = open_private(box, 3, passphrase="hòm phiếu của Sở Nội vụ năm 2026")
    assert open_envelope(private, 3, seal_envelope(box.public, 3, {"a": 1}, 64)) == {"a": 1}


def test_envelopes_of_one_questionnaire_have_one_length_whatever_they_hold():
    box = new_box(1, secret=SECRET)
    contents = [{"answers": [["H01", code]] * n, "seconds": s} for code in ("tot", "trung_binh", "kem")
                for n in (1, 5, 13) for s in (9, 12345)]
    assert len({len(seal_envelope(box.public, 1, c, 2048)) for c in contents}) == 1
