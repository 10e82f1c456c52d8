"""What the worker runs on a schedule (cron is not needed), and the modules that hold the domains' tasks."""
from huey import crontab

from lms.attendance.tasks import forget_old_previews
from lms.certificates.tasks import resume_issue_jobs
from lms.lti.tasks import forget_spent_login_values, post_scores, sync_rosters
from lms.notifications.tasks import send_due_mail
from lms.privacy.tasks import expire_due_data, send_expiry_notices

# Imported when an app sets up its queue, so that every task is registered with the worker.
TASK_MODULES = (
    "lms.attendance.tasks", "lms.certificates.tasks", "lms.lti.tasks", "lms.notifications.tasks", "lms.privacy.tasks",
)

PERIODIC = (
    # Due mail: "readings are open", reminders, feedback released, retries; and reset links still to answer.
    # The same as `flask lms send-due-mail`, which stays for those who prefer cron.
    (crontab(minute="*"), send_due_mail),
    # A certificate job whose worker died (a restart, kill -9, a lost machine) is picked up again.
    (crontab(minute="*"), resume_issue_jobs),
    # Attendance reports whose preview was not saved within a day are deleted, file and all.
    (crontab(minute="17"), forget_old_previews),
    # LTI: results sent to course gradebooks (retried with a growing wait), spent login values forgotten, and
    # each linked course's roster synced once a day as the admin LMS_LTI_SYNC_AS names.
    (crontab(minute="*/5"), post_scores),
    (crontab(minute="23"), forget_spent_login_values),
    (crontab(minute="41", hour="3"), sync_rosters),
    # Daily: admins are told weeks before an academy's data expires; past its retention period, it is deleted.
    (crontab(minute="41", hour="3"), send_expiry_notices),
    (crontab(minute="47", hour="3"), expire_due_data),
)
