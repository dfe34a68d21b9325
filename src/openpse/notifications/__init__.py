"""What OpenPSE tells the outside world about a document: webhooks to the issuer and
e-mails to the customer, through an outbox written with each state change and delivered
with back-off outside the document's own path (API.md, "Events")."""

from openpse.notifications.delivery import deliver_due
from openpse.notifications.outbox import PENDING_KEY, WEBHOOK_EVENT, record
from openpse.notifications.webhook import signature

__all__ = ["PENDING_KEY", "WEBHOOK_EVENT", "deliver_due", "record", "signature"]
