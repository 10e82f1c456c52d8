"""Every table of the plugin: importing this module loads each domain's models, so that SQLAlchemy can
resolve relationships between domains and Alembic sees the whole schema."""
from lms.academies import models as academies  # noqa: F401
from lms.accounts import models as accounts  # noqa: F401
from lms.attendance import models as attendance  # noqa: F401
from lms.audit import models as audit  # noqa: F401
from lms.certificates import models as certificates  # noqa: F401
from lms.core import submissions  # noqa: F401
from lms.lti import models as lti  # noqa: F401
from lms.notifications import models as notifications  # noqa: F401
from lms.paper import models as paper  # noqa: F401
from lms.privacy import models as privacy  # noqa: F401
from lms.readings import models as readings  # noqa: F401
from lms.reflections import models as reflections  # noqa: F401
