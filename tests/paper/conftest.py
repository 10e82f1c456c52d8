"""What the paper tests share: an academy with readings (one with a link), a unit's learners on paper."""
import pytest

from lms.core.extensions import db
from tests.factories import enrol, make_academy, make_paper_learner, make_reading, make_user

UNIT = "Oslo prison — unit B"


@pytest.fixture
def academy():
    """Two sessions (the first ended yesterday); two readings with prompts and word limits, one without."""
    academy = make_academy("Peer Mentoring Inside", home_timezone="America/New_York")
    first = make_reading(academy, "On lived experience", prompt="What did this make you think of?",
                         min_words=20, max_words=200)
    first.body_markdown = ("Peer support is **mutual**. Read more at [the guide](https://example.org/guide) "
                           "or https://example.org/plain.")
    make_reading(academy, "Boundaries and care", prompt="When did you say no to someone?")
    make_reading(academy, "A short poem", prompt="")
    db.session.commit()
    return academy


@pytest.fixture
def ole(academy):
    learner = make_paper_learner("Ole Hansen", through=UNIT, timezone="Europe/Oslo")
    enrol(learner, academy, group="Norway")
    return learner


@pytest.fixture
def kari(academy):
    learner = make_paper_learner("Kari Berg", through=UNIT, timezone="Europe/Oslo")
    enrol(learner, academy, group="Norway")
    return learner


@pytest.fixture
def facilitator(academy):
    person = make_user("Dana Whitfield")
    enrol(person, academy, role="facilitator")
    return person
