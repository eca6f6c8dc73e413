"""The schema's enums: review status, artifact kinds, ring orderings."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="An analyst's verdict on a ring.")
class RingStatus(Enum):
    NEW = strawberry.enum_value("NEW", description="Not reviewed yet, or raised again since a dismissal.")
    CONFIRMED = strawberry.enum_value("CONFIRMED", description="An analyst confirmed it is an operator ring.")
    DISMISSED = strawberry.enum_value(
        "DISMISSED", description="An analyst judged it harmless: not raised again unless its evidence grows.")


@strawberry.enum(description="What accounts can share: every artifact kind of the graph model.")
class ArtifactKind(Enum):
    IP = strawberry.enum_value("ip", description="An IP address the account sent requests from.")
    PROXY = strawberry.enum_value("proxy", description="A proxy service or pool one of its IPs exits through.")
    PAYMENT = strawberry.enum_value("payment", description="A payment instrument (keyed hash of its fingerprint).")
    PROMPT = strawberry.enum_value("prompt", description="A prompt template fingerprint (never the raw prompt).")
    USER_AGENT = strawberry.enum_value("user_agent", description="A user agent (client build).")
    EMAIL_DOMAIN = strawberry.enum_value("email_domain", description="The domain of the account's e-mail.")


@strawberry.enum(description="How a list of rings is ordered (always descending, ties by id).")
class RingOrder(Enum):
    SCORE = strawberry.enum_value("SCORE", description="Highest score first (the default).")
    SIZE = strawberry.enum_value("SIZE", description="Most members first.")
    LAST_CHANGE = strawberry.enum_value("LAST_CHANGE", description="Most recently changed first.")
