"""Identity's pure rules and password hashing: no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import bcrypt
import pytest

from pctrade.identity.model import (
    Facts,
    RiskLevel,
    SubjectKind,
    ThrottlePolicy,
    VerificationMethod,
    check_facts,
    check_password,
    check_username,
    require_facts_reader,
    require_facts_recorder,
    require_key_holder,
    require_onboarder,
    require_self_or_admin,
    retry_after_s,
)
from pctrade.identity.passwords import HashingParams, Passwords
from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.ledger.model import Party, Role

TODAY = date(2026, 7, 1)
CHEAP = HashingParams(time_cost=1, memory_kib=8, parallelism=1)
VERIFIED = Facts(
    real_name_verified=True,
    real_name_verified_on=date(2026, 6, 1),
    real_name_method=VerificationMethod.ID_CARD_FACE,
)


def party(party_id: str, role: Role) -> Party:
    return Party(party_id, role, party_id)


OPERATOR = party("registry", Role.REGISTRY_OPERATOR)
REGULATOR = party("mee", Role.REGULATOR)
PLATFORM = party("plat", Role.PLATFORM)
PERSON = party("ind", Role.INDIVIDUAL)


# ---- credentials -----------------------------------------------------------------------
@pytest.mark.parametrize("username", ["", "a b", "名字", "x" * 65, "a\x00b", "semi;colon"])
def test_a_username_is_1_to_64_plain_characters(username: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_username(username)
    assert exc.value.code == "bad_username"


def test_a_password_has_8_characters_to_256_bytes() -> None:
    assert check_password("密码密码密码密码") == "密码密码密码密码".encode()
    for password, code in (("seven77", "weak_password"), ("密" * 86, "password_too_long")):
        with pytest.raises(ValidationError) as exc:
            check_password(password)
        assert exc.value.code == code


# ---- who may manage credentials --------------------------------------------------------
def test_a_party_manages_its_own_credentials_and_the_operator_anyones() -> None:
    require_self_or_admin(PERSON, "ind", "revoke the tokens")
    require_self_or_admin(OPERATOR, "ind", "revoke the tokens")
    for actor in (REGULATOR, PLATFORM):
        with pytest.raises(Forbidden):
            require_self_or_admin(actor, "ind", "revoke the tokens")


def test_a_platform_onboards_individuals_and_the_operator_institutions_too() -> None:
    require_onboarder(PLATFORM, Role.INDIVIDUAL)
    require_onboarder(OPERATOR, Role.INSTITUTION)
    for actor, role in ((PLATFORM, Role.INSTITUTION), (REGULATOR, Role.INDIVIDUAL)):
        with pytest.raises(Forbidden):
            require_onboarder(actor, role)
    with pytest.raises(ValidationError) as exc:
        require_onboarder(OPERATOR, Role.EMITTER)
    assert exc.value.code == "bad_role"


def test_facts_are_recorded_by_the_onboarding_platform_or_the_operator() -> None:
    require_facts_recorder(PLATFORM, "plat")
    require_facts_recorder(OPERATOR, None)
    for actor, onboarded_by in ((PLATFORM, "other"), (PLATFORM, None), (REGULATOR, "plat")):
        with pytest.raises(Forbidden):
            require_facts_recorder(actor, onboarded_by)


def test_facts_are_read_by_the_person_their_platform_and_the_authorities() -> None:
    for actor in (PERSON, PLATFORM, REGULATOR, OPERATOR):
        require_facts_reader(actor, "ind", "plat")
    for actor in (party("ind2", Role.INDIVIDUAL), party("plat2", Role.PLATFORM)):
        with pytest.raises(Forbidden):
            require_facts_reader(actor, "ind", "plat")


def test_people_hold_no_api_keys() -> None:
    require_key_holder(PLATFORM)
    with pytest.raises(Conflict) as exc:
        require_key_holder(PERSON)
    assert exc.value.code == "api_key_not_allowed"


# ---- real-name facts -------------------------------------------------------------------
def test_sensible_facts_pass() -> None:
    check_facts(Facts(), SubjectKind.INDIVIDUAL, TODAY)
    assessed = replace(VERIFIED, risk_level=RiskLevel.C2, risk_assessed_on=TODAY)
    check_facts(replace(assessed, birth_date=date(1990, 1, 1)), SubjectKind.INDIVIDUAL, TODAY)
    institution = replace(
        VERIFIED,
        real_name_method=VerificationMethod.BUSINESS_LICENCE,
        credit_code="91440300MA5DC0Q12X",
        net_assets_fen=0,
    )
    check_facts(institution, SubjectKind.INSTITUTION, TODAY)


@pytest.mark.parametrize(
    ("facts", "kind", "code"),
    [
        (Facts(real_name_verified=True), SubjectKind.INDIVIDUAL, "bad_facts"),
        (replace(VERIFIED, real_name_verified=False), SubjectKind.INDIVIDUAL, "bad_facts"),
        (VERIFIED, SubjectKind.INSTITUTION, "bad_facts"),  # a face match verifies no company
        (Facts(risk_level=RiskLevel.C1), SubjectKind.INDIVIDUAL, "bad_facts"),
        (Facts(risk_assessed_on=TODAY), SubjectKind.INDIVIDUAL, "bad_facts"),
        (Facts(birth_date=date(1990, 1, 1)), SubjectKind.INSTITUTION, "bad_facts"),
        (Facts(net_assets_fen=1), SubjectKind.INDIVIDUAL, "bad_facts"),
        (Facts(credit_code="91440300MA5DC0Q12I"), SubjectKind.INSTITUTION, "bad_facts"),
        (Facts(net_assets_fen=-1), SubjectKind.INSTITUTION, "out_of_range"),
        (Facts(birth_date=TODAY + timedelta(days=1)), SubjectKind.INDIVIDUAL, "bad_date"),
        (Facts(birth_date=date(1899, 12, 31)), SubjectKind.INDIVIDUAL, "bad_date"),
    ],
)
def test_facts_that_make_no_sense_are_refused(facts: Facts, kind: SubjectKind, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_facts(facts, kind, TODAY)
    assert exc.value.code == code


# ---- throttling ------------------------------------------------------------------------
def test_retry_after_is_the_rest_of_the_window_in_whole_seconds_at_least_one() -> None:
    start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert retry_after_s(start, start, 900) == 900
    assert retry_after_s(start, start + timedelta(seconds=899, milliseconds=1), 900) == 1
    assert retry_after_s(start, start + timedelta(seconds=600, milliseconds=500), 900) == 300
    assert retry_after_s(start, start + timedelta(seconds=901), 900) == 1


def test_a_throttle_policy_has_positive_bounds() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(account_attempts_max=0)


# ---- passwords -------------------------------------------------------------------------
def test_a_password_is_stored_as_argon2id_and_checked() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash(b"correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify(stored, "correct horse battery").ok
    assert not passwords.verify(stored, "wrong horse battery").ok
    assert not passwords.verify("not a hash", "correct horse battery").ok


def test_a_hash_under_other_parameters_or_bcrypt_verifies_and_asks_for_a_rehash() -> None:
    older = Passwords(HashingParams(time_cost=2, memory_kib=8, parallelism=1))
    verdict = Passwords(CHEAP).verify(older.hash(b"correct horse"), "correct horse")
    assert verdict.ok and verdict.rehash
    legacy = bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4)).decode()
    assert Passwords(CHEAP).verify(legacy, "correct horse").rehash
    assert not Passwords(CHEAP).verify(legacy, "wrong horse").ok
    # bcrypt reads 72 bytes: a longer password that starts like the stored one is wrong.
    long = bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(4)).decode()
    assert not Passwords(CHEAP).verify(long, "x" * 80).ok


def test_an_unknown_user_is_checked_against_a_hash_of_the_same_cost() -> None:
    passwords = Passwords(CHEAP)
    checked: list[str] = []
    real = passwords._argon2_matches

    def spy(stored: str, password: bytes) -> bool:
        checked.append(stored)
        return real(stored, password)

    passwords._argon2_matches = spy  # type: ignore[method-assign]
    assert not passwords.verify(None, "anything at all").ok
    assert len(checked) == 1 and checked[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")


@pytest.mark.parametrize("text", ["t=0", "m=4,p=1", "p=2,m=8", "x=1", "t=a", "t=1;m=8"])
def test_hashing_parameters_are_checked(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        HashingParams.parse(text)
    assert exc.value.code == "bad_hashing_params"


def test_hashing_parameters_parse_with_defaults_for_the_rest() -> None:
    assert HashingParams.parse("m=1024, t=2") == HashingParams(2, 1024, 4)
    assert HashingParams.parse("") == HashingParams()
