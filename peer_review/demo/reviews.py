"""Demo peer review: phase dates, published assignments, reviews, releases and responses.

The closed 2025 round went the whole way: every city was reviewed by two others, the reviews were released and
every city answered each recommendation with an action, an owner and a date, and has since reported progress.
The 2026 round is in its peer review phase: assignments are published, the cities that submitted their
self-assessment are being reviewed (some reviews submitted, some half written), nothing is released yet.
Texts are written in the reviewer city's language. Idempotent: a cycle that already has assignments is left as
it is.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from ..assessments.models import Assessment
from ..assignments import operations as assignment_ops
from ..assignments import solver
from ..assignments.models import PUBLISHED, Assignment
from ..cycles import phases as phase_ops
from ..cycles.models import PHASE_KEYS, Cycle
from ..extensions import db
from ..reviews.models import (
    CityResponse,
    Recommendation,
    RecommendationResponse,
    Review,
    ReviewAnswer,
    ReviewAnswerRevision,
    Strength,
)
from ..rubrics import content
from ..users.models import User
from ..utils import utcnow

PEER_GROUPS = {"1m_5m": "metropolitan", "500k_1m": "intermediate", "100k_500k": "small-city",
               "lt_100k": "small-city", "gt_5m": "metropolitan"}

PHASE_DATES = {
    "2025 round": [("2025-02-01", "2025-04-30"), ("2025-05-01", "2025-07-15"), ("2025-07-16", "2025-08-31"),
                   ("2025-05-01", "2025-09-30"), ("2025-10-01", "2025-11-30")],
    "2026 round": [("2026-02-01", "2026-08-31"), ("2026-09-01", "2026-12-10"), ("2026-12-11", "2026-12-15"),
                   ("2026-09-01", "2026-12-15"), ("2026-12-01", "2026-12-15")],
    "2027 round": [("2027-02-01", "2027-05-31"), ("2027-06-01", "2027-08-31"), ("2027-09-01", "2027-10-15"),
                   ("2027-06-01", "2027-10-31"), ("2027-11-01", "2027-12-15")],
}

STRENGTHS = {
    "en": [("Night-time women's safety walks are run every quarter with residents, and the findings go straight "
            "into the lighting and maintenance programme.", True, ["gender.safety-audits",
                                                                   "public-space.lighting-maintenance"]),
           ("The safety committee brings police, schools, health and three residents' associations to the same "
            "table every month, with minutes published.", False, ["governance.coordination-body"]),
           ("Youth-led arts and football programmes in two districts are co-run with the young people themselves "
            "and have kept going for three seasons.", True, ["social-prevention.cultural-participation",
                                                             "participation.youth"])],
    "es": [("Las marchas exploratorias nocturnas con mujeres se hacen cada trimestre y sus hallazgos pasan "
            "directamente al programa de alumbrado y mantenimiento.", True, ["gender.safety-audits",
                                                                            "public-space.lighting-maintenance"]),
           ("El consejo de seguridad reúne cada mes a la policía, las escuelas, salud y tres juntas vecinales, y "
            "publica sus actas.", False, ["governance.coordination-body"]),
           ("Los programas de arte y fútbol para jóvenes se gestionan con los propios jóvenes y llevan tres "
            "temporadas sin interrupción.", True, ["social-prevention.cultural-participation",
                                                   "participation.youth"])],
    "fr": [("Les marches exploratoires de femmes ont lieu chaque trimestre et leurs constats alimentent "
            "directement le programme d'éclairage et d'entretien.", True, ["gender.safety-audits",
                                                                          "public-space.lighting-maintenance"]),
           ("Le conseil local de sécurité réunit chaque mois police, écoles, santé et trois conseils de quartier, "
            "et publie ses comptes rendus.", False, ["governance.coordination-body"]),
           ("Les ateliers artistiques et le football de rue sont co-animés avec les jeunes eux-mêmes depuis trois "
            "saisons.", True, ["social-prevention.cultural-participation", "participation.youth"])],
}

RECOMMENDATIONS = {
    "en": [("Give the safety strategy its own budget line over several years, so that the programmes that work "
            "do not stop when a grant ends.", "high", ["resources.budget-line", "resources.multi-year-funding"]),
           ("Break the victimisation survey results down by sex, age group and neighbourhood, and publish them "
            "with the crime figures.", "medium", ["knowledge.disaggregation", "knowledge.victimisation-survey"]),
           ("Report back to the neighbourhoods that took part in the safety walks: what was fixed, what was not "
            "and why.", "medium", ["participation.feedback-to-communities"]),
           ("Agree a protocol with the police on sharing incident data at street level, with personal data "
            "removed.", "low", ["knowledge.crime-violence-data", "knowledge.data-protection"])],
    "es": [("Dar a la estrategia de seguridad una partida presupuestaria propia y plurianual, para que los "
            "programas que funcionan no se detengan al terminar una donación.", "high",
            ["resources.budget-line", "resources.multi-year-funding"]),
           ("Desagregar la encuesta de victimización por sexo, grupo de edad y barrio, y publicarla junto con las "
            "cifras de delitos.", "medium", ["knowledge.disaggregation", "knowledge.victimisation-survey"]),
           ("Informar a los barrios que participaron en las marchas exploratorias qué se arregló, qué no y por "
            "qué.", "medium", ["participation.feedback-to-communities"]),
           ("Acordar con la policía un protocolo para compartir datos de incidentes por calle, sin datos "
            "personales.", "low", ["knowledge.crime-violence-data", "knowledge.data-protection"])],
    "fr": [("Doter la stratégie de sécurité d'une ligne budgétaire pluriannuelle, pour que les programmes qui "
            "marchent ne s'arrêtent pas à la fin d'une subvention.", "high",
            ["resources.budget-line", "resources.multi-year-funding"]),
           ("Ventiler l'enquête de victimation par sexe, tranche d'âge et quartier, et la publier avec les "
            "chiffres de la délinquance.", "medium", ["knowledge.disaggregation", "knowledge.victimisation-survey"]),
           ("Rendre compte aux quartiers qui ont participé aux marches exploratoires : ce qui a été réparé, ce qui "
            "ne l'a pas été, et pourquoi.", "medium", ["participation.feedback-to-communities"]),
           ("Convenir avec la police d'un protocole de partage des données d'incidents à l'échelle de la rue, "
            "sans données personnelles.", "low", ["knowledge.crime-violence-data", "knowledge.data-protection"])],
}

COMMENTS = {
    "en": {"agree": "The evidence linked supports this level: we read the plan and the latest progress report.",
           "partly": "The plan exists, but we found no sign yet that it is applied outside the pilot districts.",
           "disagree": "We could not find evidence for this level; the documents linked describe intentions, not "
                       "practice."},
    "es": {"agree": "La evidencia vinculada respalda este nivel: revisamos el plan y el último informe de avance.",
           "partly": "El plan existe, pero no encontramos señales de que se aplique fuera de los barrios piloto.",
           "disagree": "No encontramos evidencia para este nivel; los documentos describen intenciones, no "
                       "prácticas."},
    "fr": {"agree": "Les preuves liées confirment ce niveau : nous avons lu le plan et le dernier bilan.",
           "partly": "Le plan existe, mais nous n'avons pas vu qu'il soit appliqué hors des quartiers pilotes.",
           "disagree": "Nous n'avons pas trouvé de preuve de ce niveau ; les documents décrivent des intentions, "
                       "pas des pratiques."},
}

ACTIONS = {
    "en": ("Include it in next year's budget proposal to the council", "Head of the safety unit"),
    "es": ("Incluirlo en la propuesta de presupuesto del próximo año al concejo", "Jefatura de la unidad de "
                                                                                 "seguridad"),
    "fr": ("L'inscrire au projet de budget de l'an prochain présenté au conseil", "Responsable de la cellule "
                                                                                  "sécurité"),
}


PARTIAL = {"en": "Only part of it fits our current mandate.", "es": "Solo una parte cabe en nuestro mandato actual.",
           "fr": "Seule une partie relève de notre mandat actuel."}
DECLINE = {"en": "This lies with the regional government, not the city; we have passed it on to them.",
           "es": "Esto corresponde al gobierno regional, no a la ciudad; se lo hemos trasladado.",
           "fr": "Cela relève de la région, pas de la ville ; nous le lui avons transmis."}


def _number(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def _language(city) -> str:
    for lang in (city.languages or "en").split(","):
        if lang in STRENGTHS:
            return lang
    return "en"


def _coordinator(city):
    return db.session.execute(db.select(User).filter_by(
        email=f"coordinator.{city.slug}@demo.safercities.example")).scalar_one_or_none()


def _dates(cycle) -> None:
    spans = PHASE_DATES.get(cycle.name)
    if spans and not cycle.phases:
        phase_ops.apply_phase_dates(cycle, {key: {"starts_on": s, "due_on": d}
                                            for key, (s, d) in zip(PHASE_KEYS, spans)}, {})


def _assign_closed(cycle) -> None:
    """A closed cycle's published pairs, straight from the optimiser (the operations refuse closed cycles)."""
    proposal = solver.solve(assignment_ops.problem_for(cycle), seed=2025)
    when = dt.datetime.combine(cycle.phase_dates("self_assessment").due_on, dt.time(9))
    for pair in proposal.pairs:
        db.session.add(Assignment(cycle_id=cycle.id, reviewer_city_id=pair.reviewer_id,
                                  reviewed_city_id=pair.reviewed_id, state=PUBLISHED, source="auto",
                                  costs=pair.costs, published_at=when,
                                  alternates=[{"reviewer_city_id": a.reviewer_id, "costs": a.costs,
                                               "reason": a.reason} for a in pair.alternates]))
    cycle.assignments_published_at = when
    db.session.flush()


def _at(cycle, phase: str, days: int = 0, due: bool = False) -> dt.datetime:
    """A moment in a demo cycle's phase: its start (or due date) plus some days, at ten in the morning."""
    dates = cycle.phase_dates(phase)
    day = (dates.due_on if due else dates.starts_on) if dates else cycle.starts_on
    return min(dt.datetime.combine(day + dt.timedelta(days=days), dt.time(10)), utcnow())


def _review(assignment, assessment, criteria, how_many: int, submitted: bool, released: bool) -> Review:
    reviewer = assignment.reviewer_city
    lang = _language(reviewer)
    actor = _coordinator(reviewer)
    review = Review(assignment_id=assignment.id, cycle_id=assignment.cycle_id, reviewer_city_id=reviewer.id,
                    reviewed_city_id=assignment.reviewed_city_id, assessment_id=assessment.id, state="draft")
    db.session.add(review)
    answers = {a.criterion_id: a for a in assessment.answers}
    for criterion in criteria[:how_many]:
        own = answers.get(criterion["id"])
        if own is None:
            continue
        shift = _number(reviewer.slug, criterion["id"]) % 6
        level = own.level if own.level is not None else None
        agreement = "agree"
        if level is not None and shift == 0 and level > 0:
            level, agreement = level - 1, "partly"
        elif level is not None and shift == 1 and level > 1:
            level, agreement = level - 2, "disagree"
        comment = COMMENTS[lang][agreement] if agreement != "agree" or shift == 2 else ""
        answer = ReviewAnswer(review=review, criterion_id=criterion["id"], level=level, agreement=agreement,
                              comment=comment, updated_by_id=getattr(actor, "id", None))
        db.session.add(answer)
        db.session.flush()
        db.session.add(ReviewAnswerRevision(answer=answer, version=answer.version, level=level,
                                            agreement=agreement, comment=comment,
                                            saved_by_id=getattr(actor, "id", None), source="form"))
    pick = _number(reviewer.slug, assignment.reviewed_city.slug)
    for i in range(2 if how_many == len(criteria) else 1):
        text, good, crit = STRENGTHS[lang][(pick + i) % len(STRENGTHS[lang])]
        db.session.add(Strength(review=review, position=i, text=text, good_practice=good, criterion_ids=crit))
    for i in range(2 if how_many == len(criteria) else 1):
        text, priority, crit = RECOMMENDATIONS[lang][(pick + i) % len(RECOMMENDATIONS[lang])]
        db.session.add(Recommendation(review=review, position=i, text=text, priority=priority,
                                      criterion_ids=crit))
    cycle = assignment.cycle
    if submitted:
        review.state = "submitted"
        review.submitted_at = _at(cycle, "peer_review", -(pick % 9), due=True)
        review.submitted_by_id = getattr(actor, "id", None)
    if released:
        review.released_at = _at(cycle, "city_response")
    db.session.flush()
    return review


def _respond(cycle, city, reviews) -> None:
    lang = _language(city)
    action, owner = ACTIONS[lang]
    response = CityResponse(cycle_id=cycle.id, city_id=city.id, state="submitted",
                            submitted_at=_at(cycle, "city_response", -2, due=True),
                            submitted_by_id=getattr(_coordinator(city), "id", None))
    db.session.add(response)
    due = cycle.ends_on + dt.timedelta(days=180)
    for review in reviews:
        for n, rec in enumerate(review.recommendations):
            choice = _number(city.slug, str(rec.id)) % 5
            decision = ["accept", "accept", "partial", "accept", "decline"][choice]
            progress = {"accept": ["done", "in_progress"][n % 2], "partial": "in_progress",
                        "decline": "dropped"}[decision]
            db.session.add(RecommendationResponse(
                city_response=response, recommendation=rec, decision=decision,
                comment={"accept": {}, "partial": PARTIAL, "decline": DECLINE}[decision].get(lang, ""),
                action=action if decision != "decline" else "", action_owner=owner if decision != "decline" else "",
                action_due=due if decision != "decline" else None, progress=progress,
                progress_note={"done": {"en": "Approved in the 2026 budget.", "es": "Aprobado en el presupuesto "
                                        "2026.", "fr": "Adopté au budget 2026."}[lang]}.get(progress, ""),
                progress_updated_at=_at(cycle, "reporting", 40) if progress != "not_started" else None))
    db.session.flush()


def seed_reviews() -> dict:
    by_name = {c.name: c for c in db.session.execute(db.select(Cycle)).scalars()}
    for city in {c for cycle in by_name.values() for c in cycle.cities}:
        if city.peer_group is None:
            city.peer_group = PEER_GROUPS.get(city.population_band)
    for cycle in by_name.values():
        _dates(cycle)
    made = {"assignments": 0, "reviews": 0}
    closed, current = by_name.get("2025 round"), by_name.get("2026 round")
    for cycle in (closed, current):  # the demo's submissions came in before the self-assessment was due
        if cycle is not None and cycle.phases and not assignment_ops.rows(cycle):
            for assessment in db.session.execute(db.select(Assessment).filter_by(
                    cycle_id=cycle.id, state="submitted")).scalars():
                assessment.submitted_at = _at(cycle, "self_assessment", -(_number(str(assessment.city_id)) % 20),
                                              due=True)
    if closed is not None and closed.rubric_version_id and not assignment_ops.rows(closed):
        closed.reviewers_per_city = 2
        _assign_closed(closed)
        criteria = content.criteria(closed.rubric_version)
        assessments = {a.city_id: a for a in db.session.execute(
            db.select(Assessment).filter_by(cycle_id=closed.id)).scalars()}
        by_city: dict[int, list] = {}
        for assignment in assignment_ops.rows(closed):
            assessment = assessments.get(assignment.reviewed_city_id)
            if assessment is None:
                continue
            review = _review(assignment, assessment, criteria, len(criteria), True, True)
            by_city.setdefault(assignment.reviewed_city_id, []).append(review)
            made["assignments"] += 1
            made["reviews"] += 1
        for city in closed.cities:
            if by_city.get(city.id):
                _respond(closed, city, by_city[city.id])
    if current is not None and current.rubric_version_id and not assignment_ops.rows(current):
        current.reviewers_per_city = 2
        if current.state == "open":
            current.phase = "peer_review"
        current.assignment_seed = 2026
        assignment_ops.propose(current)
        published = assignment_ops.publish(current)
        made["assignments"] += len(published)
        criteria = content.criteria(current.rubric_version)
        for n, assignment in enumerate(assignment_ops.rows(current)):
            assessment = db.session.execute(db.select(Assessment).filter_by(
                cycle_id=current.id, city_id=assignment.reviewed_city_id)).scalar_one_or_none()
            if assessment is None or assessment.state != "submitted" or n % 4 == 3:
                continue  # the city has not submitted, or its reviewers have not started
            full = n % 4 in (0, 2)
            _review(assignment, assessment, criteria, len(criteria) if full else len(criteria) // 3,
                    submitted=full, released=False)
            made["reviews"] += 1
    db.session.flush()
    return {"demo " + k: v for k, v in made.items()}
