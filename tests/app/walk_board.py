"""Route-by-role expectations for the tracking board and notifications (imported by test_permissions_walk).

The board, its CSV and the reminders button are the secretariat's (admins hold every right); everyone else gets
403 (the cycle itself is visible to them). Notifications are each person's own: the world's notification
belongs to city A's member, so everyone else gets 404 when opening it.
"""
from tests.app.test_permissions_walk import SIGNED_IN, STAFF_ONLY, S

EXPECTED = {
    "cycles.board": ("GET", STAFF_ONLY),
    "cycles.board_csv": ("GET", STAFF_ONLY),
    "cycles.board_reminders": ("POST", S(302, 403, 403, 403, 302, 302)),
    "notifications.index": ("GET", SIGNED_IN(200)),
    "notifications.open_note": ("POST", S(302, 302, 404, 404, 404, 404)),
    "notifications.read_all": ("POST", SIGNED_IN(302)),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.notifications.models import Notification
    note = Notification(user_id=users["member"].id, kind="released", cycle_id=cycle.id,
                        params={"cycle": cycle.name}, link=f"/cycles/{cycle.id}")
    db.session.add(note)
    db.session.commit()
    return {"note_id": note.id}
