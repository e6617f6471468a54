"""The account emails the portal sends, through the outbox and the worker like every email: a
provider that is down never fails the page, and the email leaves once it is back.

- `queue_signup_confirmation(user=...)`: the link that confirms the address (sign-up, "send again");
- `queue_password_reset(user=...)`: the password reset link;
- `queue_signup_notice(email=...)`: someone tried to sign up with an address that has an account
  (the sign-up page answers the same either way; this email tells the owner).

Each is queued in the caller's transaction and published after commit. What the emails say is
built when they are sent (notifications/account_emails.py): no link is stored in the outbox.
"""

from django.utils import timezone

from notifications.events import NotificationEvent
from notifications.models import Notification
from notifications.services import account_notification_enqueue
from shop.models import User

# At most one sign-up notice per account in this many seconds, however often the address is
# typed into the sign-up form: the notice must not become a way to flood someone's mailbox.
SIGNUP_NOTICE_EVERY_SECONDS = 3600


def queue_signup_confirmation(*, user: User) -> Notification:
    return account_notification_enqueue(user=user, event=NotificationEvent.ACCOUNT_CONFIRM)


def queue_password_reset(*, user: User) -> Notification:
    return account_notification_enqueue(user=user, event=NotificationEvent.PASSWORD_RESET)


def queue_signup_notice(*, email: str) -> Notification | None:
    """Tell the owner of `email`'s account that someone tried to sign up with it. None when no
    active account has that address (then there is nobody to tell)."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return None
    window = int(timezone.now().timestamp()) // SIGNUP_NOTICE_EVERY_SECONDS
    return account_notification_enqueue(
        user=user, event=NotificationEvent.SIGNUP_NOTICE, dedup_key=f"window-{window}"
    )
