"""Demo reports data: practices three cities describe for the library, the stories Amanzi Bay chose for its
"State of Safety" (only items whose consent allows publication), and the 2025 round's open data, published.

The practices paraphrase public accounts: Medellín's library parks run with neighbourhood boards, Montréal's
women's exploratory walks and their follow-up with the borough, and Durban's work with informal traders on
market safety. Names and places are the demo's fictional ones."""
from __future__ import annotations

from ..cities.models import City
from ..cycles.models import Cycle
from ..extensions import db
from ..practices import service as practices
from ..practices.models import Practice
from ..rubrics import content
from ..users.models import User

PRACTICES = (
    ("san-aurelio", "es", "Parques biblioteca con juntas vecinales",
     "En tres barrios de ladera, la alcaldía construyó parques biblioteca donde antes había lotes baldíos. "
     "Una junta con vecinas, jóvenes y el personal de la biblioteca decide la programación cada trimestre; "
     "los talleres nocturnos de música y el cineclub de fin de semana mantienen el lugar concurrido hasta las "
     "diez de la noche.", ["social-prevention.cultural-participation", "participation.youth"]),
    ("valmont-sur-loire", "fr", "Marches exploratoires de femmes suivies par l'arrondissement",
     "Deux fois par an, des habitantes parcourent leur quartier à la tombée de la nuit avec une animatrice et "
     "notent ce qui les inquiète : passages sombres, arrêts de bus isolés, buissons trop hauts. Le rapport est "
     "remis à l'arrondissement, qui répond point par point en réunion publique six mois plus tard.",
     ["gender.safety-audits", "public-space.lighting-maintenance"]),
    ("amanzi-bay", "en", "Safety committees with informal traders at the taxi rank",
     "Street traders at the Harbourside rank elect a committee that meets the municipal safety unit every "
     "month. Together they mapped the dark corners of the market, agreed where lights and a staffed toilet "
     "should go, and trained traders as the first people to call for help after dark.",
     ["public-space.lighting-maintenance"]),
)


def seed_reports() -> dict:
    if db.session.execute(db.select(Practice.id).limit(1)).first():
        return {}
    cycles = {c.name: c for c in db.session.execute(db.select(Cycle)).scalars()}
    current, closed = cycles.get("2026 round"), cycles.get("2025 round")
    cities = {c.slug: c for c in db.session.execute(db.select(City)).scalars()}
    staff = db.session.execute(db.select(User).filter_by(email="secretariat@demo.safercities.example")
                               ).scalar_one_or_none()
    added = 0
    for slug, language, title, summary, criteria in PRACTICES:
        city = cities.get(slug)
        if city is None or staff is None or current is None:
            continue
        version = current.rubric_version
        known = {c["id"] for c in content.criteria(version)} if version is not None else set()
        practices.save(None, city, staff, {"title": title, "summary": summary, "language": language,
                                            "cycle_id": current.id if city in current.cities else None,
                                            "criterion_ids": [c for c in criteria if c in known]})
        added += 1
    stories = 0
    city = cities.get("amanzi-bay")
    if city is not None and current is not None and staff is not None:
        from ..reports import safety
        eligible = safety.eligible_stories(current, city)[:3]
        safety.choose_stories(current, city, [i.id for i in eligible], staff)
        stories = len(eligible)
    releases = 0
    if closed is not None and staff is not None:
        from ..opendata import service as opendata
        opendata.publish(closed, staff, "The closed 2025 round, as reviewed.")
        releases = 1
    db.session.flush()
    return {"practices": added, "report stories": stories, "open data releases": releases}
