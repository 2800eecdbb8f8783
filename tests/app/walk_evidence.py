"""Route-by-role expectations for evidence and coding (imported by test_permissions_walk)."""
from tests.app.test_permissions_walk import API_ALL, SIGNED_IN, S

# The world's item belongs to city A with visibility "city": its members, facilitators and the secretariat
# see it; the coordinator of city B does not (404). Editing is for the owning city and facilitators.
EXPECTED = {
    "evidence.index": ("GET", SIGNED_IN(200)),
    "evidence.create": ("GET", S(302, 200, 200, 200, 403, 200)),
    "evidence.show": ("GET", S(302, 200, 404, 200, 200, 200)),
    "evidence.edit": ("GET", S(302, 200, 404, 200, 403, 200)),
    "evidence.upload": ("POST", S(302, 302, 404, 302, 403, 302)),
    "evidence.download": ("GET", S(302, 200, 404, 200, 200, 200)),
    "evidence.attachment_status": ("GET", S(302, 200, 404, 200, 200, 200)),
    "evidence.replace_attachment": ("POST", S(302, 302, 404, 302, 403, 302)),
    "evidence.use_attachment_text": ("POST", S(302, 302, 404, 302, 403, 302)),
    "evidence.delete_attachment": ("POST", S(302, 302, 404, 302, 403, 302)),
    "evidence.redact": ("GET", S(302, 200, 404, 200, 403, 200)),
    "coding.add_coding": ("POST", S(302, 403, 404, 302, 403, 302)),
    "coding.delete_coding": ("POST", S(302, 403, 404, 302, 403, 302)),
    "coding.add_memo": ("POST", S(302, 403, 403, 302, 403, 302)),
    "coding.codes": ("GET", SIGNED_IN(200)),
    "coding.new_code": ("GET", S(302, 403, 403, 200, 403, 200)),
    "coding.show_code": ("GET", SIGNED_IN(200)),
    "coding.edit_code": ("GET", S(302, 403, 403, 200, 403, 200)),
    "coding.merge_code": ("POST", S(302, 403, 403, 302, 403, 302)),
    "coding.retire_code": ("POST", S(302, 403, 403, 302, 403, 302)),
    "api.list_evidence": ("GET", API_ALL),
    "api.get_evidence": ("GET", S(401, 200, 404, 200, 200, 200)),
    "api.create_evidence": ("POST", S(401, 422, 422, 422, 403, 422)),
    # Whoever may edit is asked for If-Match first (428): an update is never based on an unknown version.
    "api.update_evidence": ("PATCH", S(401, 428, 404, 428, 403, 428)),
    "api.list_attachments": ("GET", S(401, 200, 404, 200, 200, 200)),
    "api.upload_attachment": ("POST", S(401, 422, 404, 422, 403, 422)),
    "api.list_codes": ("GET", API_ALL),
    "api.get_code": ("GET", API_ALL),
    "api.create_code": ("POST", S(401, 403, 403, 422, 403, 422)),
    "api.update_code": ("PATCH", S(401, 403, 403, 200, 403, 200)),
    "api.list_codings": ("GET", S(401, 403, 403, 200, 200, 200)),
    "api.create_coding": ("POST", S(401, 403, 403, 422, 403, 422)),
    "api.delete_coding": ("DELETE", S(401, 403, 404, 204, 403, 204)),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.coding.operations import add_codings, get_code, sync_codebook
    from peer_review.evidence.operations import add_attachment, create_item
    sync_codebook()
    item = create_item({"city": city_a, "cycle": cycle, "type": "narrative", "title": "Night bus stop",
                        "text": "We wait for the night bus in the dark and feel unsafe.", "language": "en",
                        "consent": "obtained", "visibility": "city"}, actor=users["member"])
    att = add_attachment(item, "notes.txt", b"Walk notes: the lamp at the corner is broken.\n",
                         actor=users["member"])
    coding = add_codings(item, [get_code("fear_of_crime")], users["facilitator"], 40, 52)[0]
    db.session.commit()
    return {"item_id": item.id, "attachment_id": att.id, "coding_id": coding.id, "key": "trust",
            "target_type": "item", "target_id": item.id}
