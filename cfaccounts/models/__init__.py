"""Response models: plain, frozen attrs classes with precise types.

Every model keeps the fields it does not know in ``extra``; ``Literal``
fields keep values this SDK does not know yet as plain strings.
"""

from .accounts import Account, AccountDeleteResponse, AccountType, ManagedBy, Settings
from .audit import (
    AuditAccount,
    AuditAction,
    AuditActor,
    AuditListResponse,
    AuditRaw,
    AuditResource,
    AuditZone,
)
from .envelope import Cursors, ResponseInfo, ResultInfo
from .members import (
    Member,
    MemberDeleteResponse,
    MemberStatus,
    Policy,
    ResourceGroup,
    Scope,
    ScopeObject,
    User,
)
from .permissions import (
    Meta,
    PermissionGroup,
    PermissionGroupGetResponse,
    PermissionGroupGetResponseItem,
    PermissionGroupListResponse,
    PermissionGroupMeta,
)
from .roles import PermissionGrant, Permissions, Role
from .subscriptions import RatePlan, Subscription, SubscriptionDeleteResponse
from .tokens import (
    Condition,
    ConditionRequestIP,
    Token,
    TokenCreateResponse,
    TokenDeleteResponse,
    TokenPolicy,
    TokenStatus,
    TokenValue,
    TokenVerifyResponse,
)

__all__ = [
    "Account",
    "AccountDeleteResponse",
    "AccountType",
    "AuditAccount",
    "AuditAction",
    "AuditActor",
    "AuditListResponse",
    "AuditRaw",
    "AuditResource",
    "AuditZone",
    "Condition",
    "ConditionRequestIP",
    "Cursors",
    "ManagedBy",
    "Member",
    "MemberDeleteResponse",
    "MemberStatus",
    "Meta",
    "PermissionGrant",
    "PermissionGroup",
    "PermissionGroupGetResponse",
    "PermissionGroupGetResponseItem",
    "PermissionGroupListResponse",
    "PermissionGroupMeta",
    "Permissions",
    "Policy",
    "RatePlan",
    "ResourceGroup",
    "ResponseInfo",
    "ResultInfo",
    "Role",
    "Scope",
    "ScopeObject",
    "Settings",
    "Subscription",
    "SubscriptionDeleteResponse",
    "Token",
    "TokenCreateResponse",
    "TokenDeleteResponse",
    "TokenPolicy",
    "TokenStatus",
    "TokenValue",
    "TokenVerifyResponse",
    "User",
]
