"""Every table, imported in one place so that Alembic sees the whole schema."""
from .audit.models import AuditEntry  # noqa: F401
from .cities.models import City  # noqa: F401
from .coding.models import Code, CodeGroup, Coding, DoubleCodingSample, Memo, SampleItem  # noqa: F401,E402
from .coding.nlp_models import Suggestion, Topic, TopicRun  # noqa: F401,E402
from .cycles.models import Cycle, cycle_cities  # noqa: F401
from .evidence.models import Attachment, EvidenceItem  # noqa: F401,E402
from .jobs.models import Job  # noqa: F401,E402
from .mail.models import OutboxMessage  # noqa: F401
from .users.models import ApiToken, Membership, NetworkRole, User  # noqa: F401
from .rubrics.models import RubricVersion  # noqa: F401,E402
from .assessments.models import Answer, AnswerRevision, Assessment, answer_evidence  # noqa: F401,E402
from .cycles.models import CyclePhase  # noqa: F401,E402
from .assignments.models import Assignment, Conflict  # noqa: F401,E402
from .reviews.models import (  # noqa: F401,E402
    CityResponse, Recommendation, RecommendationResponse, Review, ReviewAnswer, ReviewAnswerRevision, Strength)
from .notifications.models import Notification, ReminderLog  # noqa: F401,E402
from .indicators.models import (  # noqa: F401,E402
    FieldTrialRating, IndicatorSet, IndicatorValue, LocalIndicator, NumericEntry, NumericEntryRevision, PeerGrouping)
from .reports.models import Report, ReportRender, ReportRevision, ReportStory  # noqa: F401,E402
from .practices.models import Practice  # noqa: F401,E402
from .opendata.models import OpenDataRelease  # noqa: F401,E402
