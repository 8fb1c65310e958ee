"""The call's actions: each one transaction that checks the rules, writes, audits and tells
the call's sockets only once it has committed; an audit entry that cannot be written undoes
the change with it."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError
from django.utils import timezone

from kontaktlaege.audit.models import AuditEntry
from kontaktlaege.consultations import actions as consultations
from kontaktlaege.consultations.models import Consultation
from kontaktlaege.video import actions, calls
from kontaktlaege.video.actions import Heartbeat, JoinResult, LeaveReason
from kontaktlaege.video.models import CallMember, Invite
from tests.support import factories
from tests.support.personas import World
from tests.support.video import peer, user


@pytest.fixture
def hints(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """What the actions tell the call's sockets, with the group (unlike the shared `hints`)."""
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(actions, "send_hint", lambda group, message: sent.append((group, message)))
    return sent


@pytest.fixture
def audit_fails(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    def fail() -> None:
        def save(*args: Any, **kwargs: Any) -> None:
            raise DatabaseError("the audit log cannot be written")

        monkeypatch.setattr(AuditEntry, "save", save)

    return fail


def audited(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action))


def test_join_answers_with_the_enum_and_audits_new_places(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    doctor = peer()
    assert commit(actions.join, user(world.gp), running.pk, doctor, "ch-1") == JoinResult.JOINED
    entry = audited("video_joined")[0]
    assert (entry.actor, entry.consultation_id, entry.clinic_id) == (
        world.gp,
        running.pk,
        world.clinic.pk,
    )
    assert entry.detail == {"role": "doctor"}
    member = CallMember.objects.get(peer_id=doctor)
    assert hints == [
        (
            f"video-{running.pk}",
            {
                "type": "video.peer",
                "event": "joined",
                "peer": calls.member_info(member),
                "channel": "ch-1",
            },
        )
    ]
    # The same participant on a new socket keeps its place: told, not audited again.
    again = commit(actions.join, user(world.gp), running.pk, doctor, "ch-2")
    assert again == JoinResult.REJOINED
    assert CallMember.objects.get(peer_id=doctor).channel_name == "ch-2"
    assert hints[-1][1]["channel"] == "ch-2"
    assert len(audited("video_joined")) == 1
    # Someone else cannot take the peer id, nor can another clinic join.
    assert actions.join(user(world.carer), running.pk, doctor, "ch-3") == JoinResult.FORBIDDEN
    assert actions.join(user(world.other_gp), running.pk, peer(), "ch-4") == JoinResult.FORBIDDEN
    assert actions.join(user(world.gp), 10**9, peer(), "ch-5") == JoinResult.FORBIDDEN
    assert len(hints) == 2 and len(audited("video_joined")) == 1


def test_join_before_admission_or_into_a_full_call(world: World, running: Consultation) -> None:
    queued = consultations.join_queue(world.carer2, ydernummer=world.ydernummer, reason="Feber")
    assert actions.join(user(world.carer2), queued.pk, peer(), "ch") == JoinResult.INACTIVE
    third = factories.ClinicStaffFactory(username="carl", clinic=world.clinic)
    for n, who in enumerate([world.gp, world.secretary, world.carer, third]):
        assert actions.join(user(who), running.pk, peer(), f"ch-{n}") == JoinResult.JOINED
    fourth = factories.ClinicStaffFactory(username="dorte", clinic=world.clinic)
    assert actions.join(user(fourth), running.pk, peer(), "ch-5") == JoinResult.FULL
    assert CallMember.objects.filter(consultation=running).count() == calls.MAX_PARTICIPANTS
    assert len(audited("video_joined")) == calls.MAX_PARTICIPANTS


def test_a_join_whose_audit_fails_leaves_no_trace(
    world: World,
    running: Consultation,
    hints: list,
    commit: Callable[..., Any],
    audit_fails: Callable[[], None],
) -> None:
    audit_fails()
    with pytest.raises(DatabaseError):
        commit(actions.join, user(world.gp), running.pk, peer(), "ch")
    assert not CallMember.objects.exists()
    assert hints == []


def test_an_expired_place_is_given_up_and_audited(world: World, running: Consultation) -> None:
    gone = peer()
    actions.join(user(world.carer), running.pk, gone, "ch-1")
    long_ago = timezone.now() - calls.grace_period() - timedelta(seconds=1)
    CallMember.objects.filter(peer_id=gone).update(channel_name="", away_since=long_ago)
    assert actions.join(user(world.gp), running.pk, peer(), "ch-2") == JoinResult.JOINED
    assert not CallMember.objects.filter(peer_id=gone).exists()
    [entry] = audited("video_left")
    assert entry.actor is None
    assert entry.detail == {"role": "employee", "reason": "expired"}


def test_leave_is_audited_and_told_unless_the_consultation_ended(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    doctor, employee = peer(), peer()
    actions.join(user(world.gp), running.pk, doctor, "ch-1")
    actions.join(user(world.carer), running.pk, employee, "ch-2")
    assert commit(actions.leave, user(world.carer), running.pk, employee, LeaveReason.LEFT)
    assert hints == [
        (f"video-{running.pk}", {"type": "video.peer", "event": "left", "peer": {"id": employee}})
    ]
    [entry] = audited("video_left")
    assert (entry.actor, entry.detail) == (world.carer, {"role": "employee", "reason": "left"})
    # Nothing left to leave: no second entry.
    assert not actions.leave(user(world.carer), running.pk, employee, LeaveReason.LEFT)
    assert len(audited("video_left")) == 1
    assert commit(actions.leave, user(world.gp), running.pk, doctor, LeaveReason.ENDED)
    assert len(hints) == 1
    assert audited("video_left")[-1].detail == {"role": "doctor", "reason": "ended"}
    assert not CallMember.objects.exists()


def test_a_leave_whose_audit_fails_keeps_the_place(
    world: World,
    running: Consultation,
    hints: list,
    commit: Callable[..., Any],
    audit_fails: Callable[[], None],
) -> None:
    doctor = peer()
    actions.join(user(world.gp), running.pk, doctor, "ch")
    audit_fails()
    with pytest.raises(DatabaseError):
        commit(actions.leave, user(world.gp), running.pk, doctor, LeaveReason.REFUSED)
    assert CallMember.objects.filter(peer_id=doctor).exists()
    assert hints == []


def test_mark_away_keeps_the_place_unless_a_newer_socket_took_over(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    doctor = peer()
    actions.join(user(world.gp), running.pk, doctor, "ch-1")
    assert actions.join(user(world.gp), running.pk, doctor, "ch-2") == JoinResult.REJOINED
    entries = AuditEntry.objects.count()
    assert commit(actions.mark_away, running.pk, doctor, "ch-1") is False
    assert hints == []
    assert commit(actions.mark_away, running.pk, doctor, "ch-2") is True
    assert hints == [
        (f"video-{running.pk}", {"type": "video.peer", "event": "away", "peer": {"id": doctor}})
    ]
    member = CallMember.objects.get(peer_id=doctor)
    assert member.channel_name == "" and member.away_since is not None
    assert AuditEntry.objects.count() == entries  # the place is unchanged
    assert actions.join(user(world.gp), running.pk, doctor, "ch-3") == JoinResult.REJOINED


def test_heartbeat_stamps_finds_the_silent_and_brings_them_back(
    world: World, running: Consultation, hints: list, commit: Callable[..., Any]
) -> None:
    doctor, employee = peer(), peer()
    actions.join(user(world.gp), running.pk, doctor, "ch-1")
    actions.join(user(world.carer), running.pk, employee, "ch-2")
    long_ago = timezone.now() - calls.silent_after() - timedelta(seconds=1)
    CallMember.objects.update(seen_at=long_ago)
    entries = AuditEntry.objects.count()

    assert commit(actions.heartbeat, running.pk, doctor, "ch-1") == Heartbeat(False, [employee])
    assert CallMember.objects.get(peer_id=doctor).seen_at > long_ago
    silent = CallMember.objects.get(peer_id=employee)
    assert silent.away_since == long_ago and silent.channel_name == "ch-2"
    assert hints == [
        (f"video-{running.pk}", {"type": "video.peer", "event": "away", "peer": {"id": employee}})
    ]
    assert calls.channel_of(running.pk, employee) == ""

    assert commit(actions.heartbeat, running.pk, employee, "ch-2") == Heartbeat(True, [])
    back = CallMember.objects.get(peer_id=employee)
    assert back.away_since is None and back.seen_at > long_ago
    assert hints[-1][1] == {
        "type": "video.peer",
        "event": "joined",
        "peer": calls.member_info(back),
        "channel": "ch-2",
    }
    # Everyone heard from recently: nothing to tell.
    assert commit(actions.heartbeat, running.pk, doctor, "ch-1") == Heartbeat(False, [])
    assert len(hints) == 2
    assert AuditEntry.objects.count() == entries


def test_create_invite_only_while_running_and_audited(
    world: World, running: Consultation, audit_fails: Callable[[], None]
) -> None:
    invite, token = actions.create_invite(world.gp, running)
    assert calls.invite_from_token(token) == invite
    assert invite.created_by == world.gp and invite.used_at is None
    [entry] = audited("video_invite_created")
    assert (entry.actor, entry.consultation_id) == (world.gp, running.pk)
    with pytest.raises(Consultation.DoesNotExist):
        actions.create_invite(world.other_gp, running)
    audit_fails()
    with pytest.raises(DatabaseError):
        actions.create_invite(world.gp, running)
    assert Invite.objects.count() == 1


def test_no_invite_once_the_consultation_ended(world: World, running: Consultation) -> None:
    consultations.end(world.gp, running.pk)
    with pytest.raises(actions.ActionError, match="Konsultationen er ikke i gang."):
        actions.create_invite(world.gp, running)
    assert not Invite.objects.exists() and not audited("video_invite_created")


def test_use_invite_once_while_running_and_audited(
    world: World, running: Consultation, audit_fails: Callable[[], None]
) -> None:
    invite, _token = actions.create_invite(world.gp, running)
    assert actions.use_invite(invite, "Tolk Hansen") is True
    assert actions.use_invite(invite, "Someone Else") is False
    invite.refresh_from_db()
    assert invite.guest_name == "Tolk Hansen" and invite.used_at is not None
    [entry] = audited("video_invite_used")
    assert (entry.actor, entry.consultation_id) == (None, running.pk)

    expired, _token = actions.create_invite(world.gp, running)
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert actions.use_invite(expired, "Tolk") is False

    failing, _token = actions.create_invite(world.gp, running)
    audit_fails()
    with pytest.raises(DatabaseError):
        actions.use_invite(failing, "Tolk")
    failing.refresh_from_db()
    assert failing.used_at is None and failing.guest_name == ""
    assert len(audited("video_invite_used")) == 1


def test_an_invite_of_an_ended_consultation_cannot_be_used(
    world: World, running: Consultation
) -> None:
    invite, _token = actions.create_invite(world.gp, running)
    consultations.end(world.gp, running.pk)
    assert actions.use_invite(invite, "Tolk") is False
    invite.refresh_from_db()
    assert invite.used_at is None
