"""The typed ORM models. Alembic migrations (``migrations/``) are the schema; these describe it."""

from .api import ActionLink, ApiToken, CalendarFeed, IdempotentResponse
from .audit import AuditEvent, AuditHead
from .base import Base, utcnow
from .cases import (
    ApprovalStep,
    Case,
    CaseDeadline,
    CaseTeamMember,
    ConflictDeclaration,
    Decision,
    Outcome,
    Stage,
    StepStatus,
    TeamPart,
    WorkflowVersion,
)
from .contracts import Contract
from .documents import Document, DocumentContent
from .evaluation import AwardCriterion, CriterionKind, ParticipationRequest, Tender, TenderMark, TenderScore
from .frameworks import Framework, FrameworkReopening
from .markets import DynamicMarket, MarketMembership, MarketNotice, MarketNoticeKind
from .outbox import OutboxMessage
from .people import Delegation, PasswordLink, RecoveryCode, RoleAssignment, SignInFailure, User
from .performance import ContractKpi, KpiAssessment
from .records import DecisionRecord
from .spend import Payment, UnpaidInvoice
from .suppliers import SupplierAlias, SupplierDistinction
from .tasks import SweepRun, Task, TaskStatus, deadline_task_kind

__all__ = [
    "ActionLink",
    "AwardCriterion",
    "CriterionKind",
    "DynamicMarket",
    "Framework",
    "FrameworkReopening",
    "MarketMembership",
    "MarketNotice",
    "MarketNoticeKind",
    "SupplierAlias",
    "SupplierDistinction",
    "WorkflowVersion",
    "ParticipationRequest",
    "Tender",
    "TenderMark",
    "TenderScore",
    "CalendarFeed",
    "ApiToken",
    "IdempotentResponse",
    "ApprovalStep",
    "AuditEvent",
    "Payment",
    "AuditHead",
    "Base",
    "Case",
    "CaseDeadline",
    "CaseTeamMember",
    "ConflictDeclaration",
    "Contract",
    "DecisionRecord",
    "ContractKpi",
    "KpiAssessment",
    "Decision",
    "Delegation",
    "Document",
    "DocumentContent",
    "Outcome",
    "OutboxMessage",
    "PasswordLink",
    "RecoveryCode",
    "RoleAssignment",
    "SignInFailure",
    "Stage",
    "StepStatus",
    "SweepRun",
    "Task",
    "TaskStatus",
    "deadline_task_kind",
    "TeamPart",
    "UnpaidInvoice",
    "User",
    "utcnow",
]
