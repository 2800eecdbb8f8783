"""Demo self-assessments: only once the demo cycles are pinned to a rubric version (``rubrics load`` runs first).

In the cycle in progress (in its peer review phase) most cities have submitted, three are half done and late,
one has not answered anything yet; in a closed cycle every city has submitted. Levels are fixed per city and criterion (so a reload changes nothing) and the
earlier cycle's level is never above the current one: the demo shows cities progressing. Justifications are
short notes of the kind a safety unit writes, in the city's language.
"""
from __future__ import annotations

import hashlib

from ..cycles.models import Cycle
from ..extensions import db
from ..rubrics import content
from ..users.models import User
from . import cities as data

NOTES = {
    "en": {
        0: ["Nothing is in place yet for {title}. The safety unit has listed it as a priority for next year's work "
            "plan.",
            "We have not started on {title}. A first conversation with the departments concerned is planned for "
            "the spring."],
        1: ["Some one-off actions on {title}: a pilot in two neighbourhoods, run by the safety unit with a "
            "community organisation. There is no plan or budget behind it yet.",
            "{title} depends on a few committed officers. Activities happen when a grant allows, and stop "
            "afterwards."],
        2: ["A written plan covers {title}, approved by the safety committee. Funding is promised for the first "
            "year; the indicators are defined but not yet reported on.",
            "{title}: the plan exists and two of its five actions have started. The minutes of the steering group "
            "list who is responsible for each."],
        3: ["{title} runs city-wide with its own budget line. Progress is reported to the council twice a year and "
            "residents' groups review the results.",
            "The programme on {title} is funded for three years and evaluated by the university; the last report "
            "is linked as evidence."],
        4: ["{title} is part of the city's by-laws and the multi-year budget. It survived the last change of "
            "administration and every district reports on it.",
            "{title} is institutionalised: a standing unit, staff on permanent contracts and an annual public "
            "report discussed with residents."],
    },
    "es": {
        0: ["Todavía no hay nada en marcha sobre {title}. La unidad de seguridad lo incluyó como prioridad en el "
            "plan de trabajo del próximo año.",
            "No hemos empezado con {title}. Está prevista una primera reunión con las secretarías implicadas."],
        1: ["Hay acciones puntuales sobre {title}: un piloto en dos barrios con una organización comunitaria. Aún "
            "no existe un plan ni un presupuesto propio.",
            "{title} depende de unas pocas personas comprometidas. Las actividades se hacen cuando hay una "
            "donación y luego se detienen."],
        2: ["Un plan escrito cubre {title} y fue aprobado por el consejo de seguridad. El primer año tiene "
            "financiación comprometida; los indicadores están definidos pero aún no se reportan.",
            "{title}: el plan existe y dos de sus cinco acciones ya empezaron. Las actas del comité indican quién "
            "responde por cada una."],
        3: ["{title} funciona en toda la ciudad con una partida presupuestaria propia. Se informa al concejo dos "
            "veces al año y las juntas vecinales revisan los resultados.",
            "El programa de {title} tiene financiación por tres años y lo evalúa la universidad; el último informe "
            "está vinculado como evidencia."],
        4: ["{title} forma parte de los acuerdos municipales y del presupuesto plurianual. Se mantuvo tras el "
            "último cambio de gobierno y todas las localidades informan sobre él.",
            "{title} está institucionalizado: una oficina permanente, personal de planta y un informe público "
            "anual que se discute con la comunidad."],
    },
    "fr": {
        0: ["Rien n'est encore en place pour {title}. La cellule sécurité l'a inscrit comme priorité du plan de "
            "travail de l'an prochain.",
            "Nous n'avons pas commencé : {title}. Une première réunion avec les services concernés est prévue au "
            "printemps."],
        1: ["Quelques actions ponctuelles sur {title} : un projet pilote dans deux quartiers avec une association. "
            "Il n'y a pas encore de plan ni de budget propre.",
            "{title} repose sur quelques agents engagés. Les activités ont lieu quand une subvention le permet, "
            "puis s'arrêtent."],
        2: ["Un plan écrit couvre {title}, adopté par le comité de sécurité. Le financement de la première année "
            "est acquis ; les indicateurs sont définis mais pas encore suivis.",
            "{title} : le plan existe et deux de ses cinq actions ont démarré. Les procès-verbaux du comité de "
            "pilotage désignent un responsable pour chacune."],
        3: ["{title} est mis en œuvre dans toute la ville avec une ligne budgétaire propre. Un bilan est présenté "
            "au conseil municipal deux fois par an et les conseils de quartier examinent les résultats.",
            "Le programme sur {title} est financé pour trois ans et évalué par l'université ; le dernier rapport "
            "est lié comme preuve."],
        4: ["{title} est inscrit dans les délibérations municipales et le budget pluriannuel. Il a résisté au "
            "dernier changement d'équipe et chaque arrondissement en rend compte.",
            "{title} est institutionnalisé : un service permanent, des agents titulaires et un rapport public "
            "annuel débattu avec les habitants."],
    },
}


def _number(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def _language(city) -> str:
    for lang in (city.languages or "en").split(","):
        if lang in NOTES:
            return lang
    return "en"


def _answer(city, criterion: dict, level: int, lang: str) -> dict:
    title = content.text(criterion.get("title"), lang)
    notes = NOTES[lang][min(level, 4)]
    note = notes[_number(city.slug, criterion["id"]) % len(notes)].format(title=title)
    return {"level": level, "justification": note[0].upper() + note[1:]}


def _fill(assessment, city, criteria: list[dict], how_many: int, earlier: bool, actor) -> None:
    from ..assessments import operations as ops
    lang = _language(city)
    items = ops.city_evidence(assessment)
    for n, criterion in enumerate(criteria[:how_many]):
        level = _number(city.slug, criterion["id"]) % 5
        if earlier:
            level = max(0, level - _number("earlier", city.slug, criterion["id"]) % 2)
        values = _answer(city, criterion, level, lang)
        if items and level >= 2 and n % 4 == 0:  # the evidence behind some answers: one or two of its items
            first = _number(city.slug, criterion["id"], "evidence") % len(items)
            values["evidence_ids"] = sorted({items[first].id, items[(first + 1) % len(items)].id})
        ops.save_answer(assessment, criterion["id"], values, None, actor=actor, source="form")


def seed_assessments(cycles=None) -> dict:
    """Self-assessments for the demo cycles that have a rubric version; nothing for those without one.
    Idempotent: a city that already has an assessment in a cycle is left as it is."""
    from ..assessments import operations as ops
    cycles = cycles if cycles is not None else [
        c for c in (db.session.execute(db.select(Cycle).filter_by(name=name)).scalar_one_or_none()
                    for name, *_rest in data.CYCLES) if c is not None]
    made = 0
    for cycle in cycles:
        if cycle.rubric_version_id is None:
            continue
        criteria = content.criteria(cycle.rubric_version)
        for position, city in enumerate(cycle.cities):
            if ops.find(city, cycle) is not None:
                continue
            actor = db.session.execute(db.select(User).filter_by(
                email=f"coordinator.{city.slug}@demo.safercities.example")).scalar_one_or_none()
            assessment = ops.get_or_start(city, cycle, actor=actor)
            made += 1
            if cycle.state == "closed":
                _fill(assessment, city, criteria, len(criteria), True, actor)
                ops.submit(assessment, actor=actor)
            elif position % 4 == 1:  # half done, and late: the cycle is in its peer review phase
                _fill(assessment, city, criteria, len(criteria) // 2, False, actor)
            elif position != 0:  # submitted
                _fill(assessment, city, criteria, len(criteria), False, actor)
                ops.submit(assessment, actor=actor)
            # position 0: started, nothing answered yet
    db.session.flush()
    return {"assessments": made}
