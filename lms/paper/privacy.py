"""Personal data held for learners on paper: the codes on their printed pages, and transcriptions with scans."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_paper_codes",
        about="The codes printed on your reflection pages, if you take part on paper",
        personal=(
            P("user_id", "whose page the code is printed on", "to file what you wrote on paper as your reflection"),
            P("created_at", "when your pages were first printed", "to keep a record of the pack"),
        ),
        not_personal=("id", "reading_id", "code"),
        who_sees="That academy's facilitators, and administrators.",
    ),
    TableDeclaration(
        table="lms_transcriptions",
        about="Reflections you wrote on paper, typed in by a facilitator",
        personal=(
            P("transcribed_by_id", "who typed it in", "shown beside the reflection, so everyone knows it came from paper"),
            P("transcribed_at", "when it was typed in", "shown beside the reflection"),
            P("scan", "a scan of the page you wrote, if one was taken (it shows your handwriting)",
              "so that facilitators can check the typed text against the page"),
            P("scan_type", "what kind of file the scan is", "to show the scan"),
        ),
        not_personal=("id", "reflection_id", "reflection_version", "scan_sha256"),
        who_sees="That academy's facilitators, and administrators (the scan); the typed text like any reflection.",
    ),
)
