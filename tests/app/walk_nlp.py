"""Route-by-role expectations for code suggestions, jobs and topics (imported by test_permissions_walk)."""
from tests.app.test_permissions_walk import S

FACILITATORS = S(302, 403, 403, 200, 403, 200)
FACILITATORS_POST = S(302, 403, 403, 302, 403, 302)

EXPECTED = {
    "coding.cycle_hub": ("GET", FACILITATORS),
    "coding.start_suggestions": ("POST", FACILITATORS_POST),
    "coding.start_topics": ("POST", FACILITATORS_POST),
    "coding.job_status": ("GET", FACILITATORS),
    "coding.bulk_suggestions": ("GET", FACILITATORS),
    "coding.topics": ("GET", FACILITATORS),
    # The suggestion is on city A's item: its member may see the item but not code (403); city B: 404.
    "coding.accept_suggestion": ("POST", S(302, 403, 404, 302, 403, 302)),
    "coding.reject_suggestion": ("POST", S(302, 403, 404, 302, 403, 302)),
    "coding.rename_topic": ("POST", FACILITATORS_POST),
    "coding.merge_topic": ("POST", FACILITATORS_POST),
    "coding.map_topic": ("POST", FACILITATORS_POST),
}


def world(db, city_a, users, cycle) -> dict:
    from peer_review.coding.nlp_models import Suggestion, Topic, TopicRun
    from peer_review.coding.operations import get_code, sync_codebook
    from peer_review.evidence.operations import create_item
    from peer_review.jobs.models import Job
    sync_codebook()
    item = create_item({"city": city_a, "cycle": cycle, "type": "survey_text", "title": "Survey",
                        "text": "The park has no lighting and people feel unsafe.", "language": "en",
                        "consent": "obtained", "visibility": "city"})
    suggestion = Suggestion(item=item, code=get_code("spatial_investment"), start_offset=13, end_offset=24,
                            score=0.7, why=["no: lighting"])
    job = Job(kind="suggest", cycle=cycle, state="done", progress=100, result={"items": 1, "suggestions": 1})
    run = TopicRun(cycle=cycle, seed=42, result={})
    run.topics = [Topic(number=0, label="lighting, park", words=["lighting", "park"], member_ids=[item.id],
                        representative_ids=[item.id]),
                  Topic(number=1, label="bus", words=["bus"], member_ids=[], representative_ids=[])]
    db.session.add_all([suggestion, job, run])
    db.session.commit()
    return {"suggestion_id": suggestion.id, "job_id": job.id, "topic_id": run.topics[0].id}
