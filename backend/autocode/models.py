"""Database tables and the public shapes the API returns."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic import Field as PField
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC now (SQLModel stores aware datetimes and returns them in UTC)."""
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def pk(row: _Row) -> int:
    """The id of a saved row. Services hand out saved rows only, so their ids are ints past
    the service boundary; an unsaved one here is a bug, and says so even under `python -O`."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} is not saved yet")
    return row.id


class ProjectStatus(StrEnum):
    CREATED = "created"
    CLONING = "cloning"
    PLANNING = "planning"
    RUNNING = "running"
    PAUSED = "paused"
    NEEDS_HELP = "needs_help"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE_STATUSES = (ProjectStatus.PLANNING, ProjectStatus.RUNNING, ProjectStatus.NEEDS_HELP)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class LogLevel(StrEnum):
    INFO = "info"
    ACTION = "action"
    WARNING = "warning"  # wants attention but is no fault: a project that needs help
    ERROR = "error"
    AGENT_DECISION = "agent_decision"


class InstanceStatus(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    CRASHED = "crashed"
    EXITED = "exited"


class PermissionPolicy(StrEnum):
    AUTO = "auto"
    ASK = "ask"
    BYPASS = "bypass"


# --- tables -------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=32)
    password_hash: str
    is_admin: bool = False
    # Bumped by logout-all (and so on): every access token and ticket carrying an older one dies.
    token_version: int = 0
    # A disabled account cannot log in or refresh; its tokens and sockets die when it is disabled.
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, index=True)
    family: str = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class Agent(SQLModel, table=True):
    __tablename__ = "agents"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    model: str = Field(max_length=200)
    identity: str = ""
    tools: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mcp_servers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    workspace_base: str | None = None
    global_rules: str = ""
    permission_policy: str = PermissionPolicy.AUTO.value
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    __table_args__ = (
        UniqueConstraint("user_id", "slug", name="uq_projects_user_slug"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    agent_id: int = Field(foreign_key="agents.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    slug: str = Field(max_length=40)
    description: str = ""
    architecture: str = ""
    implementation_plan: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = ProjectStatus.CREATED.value
    status_reason: str | None = None
    # Why it stopped, as a kind the UI can offer a fix for (services/status_rules.py), and when a
    # pause ends by itself (a usage limit).
    status_kind: str | None = Field(default=None, max_length=20)
    resume_at: datetime | None = None
    # The open question while the project needs help (a Question as JSON), else None.
    question: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    current_step: int = 0
    tmux_session: str = ""
    workspace_path: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    budget_tokens: int | None = None
    screen_state: str | None = None
    claude_session_id: str | None = None
    # The repository the project started from (checked by services/git_urls.py; never holds
    # credentials), and whether its clone finished.
    git_url: str | None = Field(default=None, max_length=2000)
    cloned: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_activity_at: datetime | None = None


class AgentInstance(SQLModel, table=True):
    __tablename__ = "agent_instances"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True, ondelete="CASCADE")
    status: str = InstanceStatus.STARTING.value
    pid: int | None = None
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    heartbeat_at: datetime | None = None
    exit_reason: str | None = None


class LogEntry(SQLModel, table=True):
    __tablename__ = "logs"
    __table_args__ = (
        Index("ix_logs_project_id_id", "project_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", ondelete="CASCADE")
    agent_instance_id: int | None = Field(default=None, foreign_key="agent_instances.id", ondelete="SET NULL")
    level: str = LogLevel.INFO.value
    message: str
    timestamp: datetime = Field(default_factory=utcnow)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=32)
    encrypted_key: str
    last4: str = Field(max_length=4)
    base_url: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PersonalToken(SQLModel, table=True):
    """A personal API token: a script's `Authorization: Bearer ac_pat_...`, stored as a SHA-256."""

    __tablename__ = "personal_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    # The user's token version when it was made: logout-all, a reset or disabling bump it.
    token_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class PushSubscription(SQLModel, table=True):
    """One browser's Web Push subscription (a device that gets the user's notifications)."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "endpoint", name="uq_push_subscriptions_user_endpoint"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(max_length=2048)
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    last_success_at: datetime | None = None


class PushActionToken(SQLModel, table=True):
    """A one-time answer to one open question of one project, carried in a push (stored hashed)."""

    __tablename__ = "push_action_tokens"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    project_id: int = Field(foreign_key="projects.id", index=True, ondelete="CASCADE")
    log_id: int  # the needs-help log row that asked the question
    question_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class NotificationChannel(SQLModel, table=True):
    """Another way a user is told (ntfy, Telegram, e-mail): an Apprise URL, stored encrypted."""

    __tablename__ = "notification_channels"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    label: str = Field(default="", max_length=100)
    encrypted_url: str
    preview: str = Field(max_length=500)  # the URL with its secrets masked
    created_at: datetime = Field(default_factory=utcnow)
    last_success_at: datetime | None = None


class DeployKey(SQLModel, table=True):
    """A user's ssh key for cloning private repositories: the private half stored encrypted."""

    __tablename__ = "deploy_keys"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, index=True, ondelete="CASCADE")
    public_key: str = Field(max_length=500)
    encrypted_private_key: str
    fingerprint: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class ProjectTemplate(SQLModel, table=True):
    """A user's own starting point for new projects (saved from a project)."""

    __tablename__ = "project_templates"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    summary: str = Field(default="", max_length=300)
    description: str = ""
    architecture: str = ""
    plan: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# --- API shapes --------------------------------------------------------------------------

USERNAME_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
PROVIDER_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,31}$"


class Strict(BaseModel):
    """Input models reject unknown fields so typos are errors, not silent no-ops."""

    model_config = ConfigDict(extra="forbid")


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    is_admin: bool
    disabled: bool = False
    created_at: UtcDatetime


class UserAdminView(UserPublic):
    agent_count: int
    project_count: int


class UserCreate(Strict):
    username: str = PField(pattern=USERNAME_PATTERN)
    password: str = PField(min_length=8, max_length=256)
    is_admin: bool = False


class LoginRequest(Strict):
    username: str = PField(min_length=1, max_length=64)
    password: str = PField(min_length=1, max_length=256)


class RefreshRequest(Strict):
    refresh_token: str | None = PField(default=None, max_length=256)


class PasswordReset(Strict):
    password: str = PField(min_length=8, max_length=256)


class UserPatch(Strict):
    disabled: bool


class PasswordChange(Strict):
    current_password: str = PField(min_length=1, max_length=256)
    new_password: str = PField(min_length=8, max_length=256)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    user: UserPublic


class WsTicket(BaseModel):
    ticket: str
    expires_in: int


class AgentCreate(Strict):
    name: str = PField(min_length=1, max_length=100)
    model: str = PField(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._:/-]+$")
    identity: str = PField(default="", max_length=20_000)
    tools: list[str] = PField(default_factory=list, max_length=64)
    mcp_servers: dict[str, Any] = PField(default_factory=dict)
    workspace_base: str | None = PField(default=None, max_length=200)
    global_rules: str = PField(default="", max_length=50_000)
    permission_policy: PermissionPolicy = PermissionPolicy.AUTO


class AgentUpdate(Strict):
    name: str | None = PField(default=None, min_length=1, max_length=100)
    model: str | None = PField(
        default=None, min_length=3, max_length=200, pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._:/-]+$"
    )
    identity: str | None = PField(default=None, max_length=20_000)
    tools: list[str] | None = PField(default=None, max_length=64)
    mcp_servers: dict[str, Any] | None = None
    workspace_base: str | None = PField(default=None, max_length=200)
    global_rules: str | None = PField(default=None, max_length=50_000)
    permission_policy: PermissionPolicy | None = None


class AgentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    model: str
    identity: str
    tools: list[str]
    mcp_servers: dict[str, Any]
    workspace_base: str | None
    global_rules: str
    permission_policy: PermissionPolicy
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PlanStepIn(Strict):
    title: str = PField(min_length=1, max_length=200)
    detail: str = PField(default="", max_length=20_000)


QuestionKind = Literal["permission", "question", "error"]


class Question(BaseModel):
    """What a project that needs help asks its user: a permission (approve or deny), a
    question (one of `choices` when Claude Code shows a menu, else free text) or an error
    (free text: how to go on)."""

    kind: QuestionKind
    text: str
    choices: list[str] = PField(default_factory=list)


class PlanReorder(Strict):
    # 1-based numbers of the pending steps, in their new order
    order: list[int] = PField(max_length=200)


class PlanStep(BaseModel):
    title: str
    detail: str = ""
    status: StepStatus = StepStatus.PENDING
    summary: str | None = None  # what the step did, once it is done
    # False when the step counts as done only because no decision model gave a verdict
    verified: bool | None = None
    review: str | None = None  # why a person should look at this step (e.g. you declined something)
    answers: list[str] = PField(default_factory=list)  # your answers during the step, in order
    started_at: UtcDatetime | None = None  # when the step last started running


class ProjectCreate(Strict):
    name: str = PField(min_length=1, max_length=100)
    slug: str | None = PField(default=None, pattern=SLUG_PATTERN)
    description: str = PField(default="", max_length=50_000)
    architecture: str = PField(default="", max_length=50_000)
    implementation_plan: list[PlanStepIn] = PField(default_factory=list, max_length=200)
    budget_tokens: int | None = PField(default=None, ge=1, le=2**63 - 1)
    # Start from this repository (https://, ssh:// or user@host:path, git://): cloned into the
    # project's folder inside the user's environment.
    git_url: str | None = PField(default=None, max_length=2000)


class ProjectUpdate(Strict):
    name: str | None = PField(default=None, min_length=1, max_length=100)
    description: str | None = PField(default=None, max_length=50_000)
    architecture: str | None = PField(default=None, max_length=50_000)
    implementation_plan: list[PlanStepIn] | None = PField(default=None, max_length=200)
    budget_tokens: int | None = PField(default=None, ge=1, le=2**63 - 1)


class InstancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    pid: int | None
    status: InstanceStatus
    started_at: UtcDatetime
    heartbeat_at: UtcDatetime | None
    ended_at: UtcDatetime | None
    exit_reason: str | None


ReasonKind = Literal[
    "budget", "stopped", "usage_limit", "no_key", "no_plan", "setup", "crashed", "clone", "question", "error"
]
ReasonFix = Literal["resume", "raise_budget", "retry", "answer", "open_settings", "add_steps", "open_logs", "wait"]


class StatusReason(BaseModel):
    """Why a project is not running (or waits), and the one action that fixes it."""

    kind: ReasonKind
    message: str
    fix: ReasonFix | None = None
    resume_at: UtcDatetime | None = None  # a usage-limit pause ends by itself then


class ProjectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agent_id: int
    name: str
    slug: str
    description: str
    architecture: str
    implementation_plan: list[PlanStep]
    status: ProjectStatus
    status_reason: str | None
    reason: StatusReason | None = None
    question: Question | None = None
    current_step: int
    tmux_session: str
    workspace_path: str
    input_tokens: int
    output_tokens: int
    budget_tokens: int | None
    screen_state: str | None
    git_url: str | None = None
    cloned: bool = False
    created_at: UtcDatetime
    updated_at: UtcDatetime
    last_activity_at: UtcDatetime | None
    instance: InstancePublic | None = None


class LogPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    agent_instance_id: int | None
    level: LogLevel
    message: str
    data: dict[str, Any] | None
    timestamp: UtcDatetime


class ApiKeyCreate(Strict):
    provider: str = PField(pattern=PROVIDER_PATTERN)
    key: str = PField(min_length=8, max_length=4096, pattern=r"^\S+$")
    base_url: str | None = PField(default=None, max_length=500, pattern=r"^https?://[^\s]+$")


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    provider: str
    base_url: str | None
    last4: str
    created_at: UtcDatetime


class KeyTestPublic(BaseModel):
    """What testing a stored key against its provider found; never the key itself."""

    ok: bool
    message: str


class ModelOptionPublic(BaseModel):
    """A model id the agent builder offers, and the provider of the key that opens it."""

    id: str
    provider: str


class PersonalTokenCreate(Strict):
    name: str = PField(min_length=1, max_length=100)


class PersonalTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None


class PersonalTokenCreated(BaseModel):
    """The new token, whose secret is shown this once and never again."""

    id: int
    name: str
    token: str
    created_at: UtcDatetime


class JobCreate(Strict):
    """A job: one project made from a goal and started at once (the script's way in)."""

    agent_id: int = PField(ge=1, le=2**63 - 1)
    goal: str = PField(min_length=1, max_length=50_000)
    name: str | None = PField(default=None, min_length=1, max_length=100)
    plan: list[PlanStepIn] | None = PField(default=None, min_length=1, max_length=200)
    git_url: str | None = PField(default=None, min_length=1, max_length=2000)
    budget_tokens: int | None = PField(default=None, ge=1, le=2**63 - 1)


class JobStarted(BaseModel):
    id: int
    status: ProjectStatus


class JobStatus(BaseModel):
    """Where a job stands: its project's status, the step it is on and why it stopped."""

    id: int
    status: ProjectStatus
    done: bool  # completed or failed: nothing more will happen without a human
    current_step: int | None  # 1-based, None when no step is under way
    current_step_title: str | None
    steps_done: int
    steps_total: int
    error: str | None
    result_url: str | None  # the workspace as .zip, once completed


class ReplyRequest(Strict):
    """Exactly one of: free text, a decision on a permission, or the number (1-based) of a choice."""

    text: str | None = PField(default=None, min_length=1, max_length=20_000)
    decision: Literal["approve", "deny"] | None = None
    choice: int | None = PField(default=None, ge=1, le=9)

    @model_validator(mode="after")
    def _exactly_one(self) -> ReplyRequest:
        given = [x for x in (self.text, self.decision, self.choice) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, decision or choice")
        return self


class InstructionRequest(Strict):
    text: str = PField(min_length=1, max_length=20_000)


class StepDiff(BaseModel):
    step: int
    title: str
    commit: str | None
    diff: str


class FileEntry(BaseModel):
    name: str
    path: str
    kind: str
    size: int


class FileText(BaseModel):
    path: str
    size: int
    text: str | None
    truncated: bool
    etag: str = PField(description="the version read; send it back when saving")


class FileSave(Strict):
    """A text file's new content. With `etag` the file must still be the version read (409
    otherwise); without, an existing file is refused unless `overwrite`."""

    text: str = PField(max_length=1_000_000)
    etag: str | None = PField(default=None, max_length=100)
    overwrite: bool = False


class FileSaved(BaseModel):
    path: str
    size: int
    etag: str


class FileRename(Strict):
    """Move `from` to `to` (both relative to the workspace)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = PField(alias="from", min_length=1, max_length=4096)
    to: str = PField(min_length=1, max_length=4096)
    overwrite: bool = False


class FolderCreate(Strict):
    path: str = PField(min_length=1, max_length=4096)


class Uploaded(BaseModel):
    files: list[FileSaved]


class PreviewLink(BaseModel):
    """A one-time link to a live preview: open it (in a frame or a tab) within `expires_in` s."""

    url: str
    expires_in: int


class ScreenText(BaseModel):
    text: str
    window: Literal["agent", "shell"] = "shell"


class Health(BaseModel):
    status: str
    version: str
    active_projects: int
    runtime: str
    tmux: bool
    docker: bool
    claude: bool
    # Whether accounts that are not admins may run projects and terminals on this runtime, and
    # why not (the local runtime isolates nobody; production keeps it for admins).
    runtime_users_allowed: bool = True
    runtime_note: str | None = None


class PushKeys(Strict):
    p256dh: str = PField(min_length=80, max_length=128, pattern=r"^[A-Za-z0-9_-]+={0,2}$")
    auth: str = PField(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+={0,2}$")


class PushSubscriptionCreate(BaseModel):
    """The browser's PushSubscription.toJSON(); `expirationTime` and unknown fields are ignored."""

    endpoint: str = PField(min_length=12, max_length=2048)
    keys: PushKeys
    label: str = PField(default="", max_length=100)


class PushSubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint: str
    label: str
    created_at: UtcDatetime
    last_success_at: UtcDatetime | None


class VapidKey(BaseModel):
    public_key: str


class PushActionRequest(Strict):
    token: str = PField(min_length=20, max_length=200)
    action: Literal["approve", "deny"]


class PushActionResult(BaseModel):
    project_id: int
    action: str
    detail: str


class ChannelCreate(Strict):
    url: str = PField(min_length=8, max_length=2000)
    label: str = PField(default="", max_length=100)


class ChannelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    label: str
    preview: str
    created_at: UtcDatetime
    last_success_at: UtcDatetime | None


class ListenerPublic(BaseModel):
    address: str
    port: int


class ProcessPublic(BaseModel):
    """One process of a project's tmux session."""

    pid: int
    ppid: int
    command: str
    state: str
    cpu_percent: float
    rss_bytes: int
    started_at: UtcDatetime
    listening: list[ListenerPublic]
    window: str | None
    has_output: bool  # it runs in the foreground of a window: GET .../output shows that window


class ProcessStopped(BaseModel):
    pid: int
    result: Literal["term", "kill", "gone", "alive"]


class ProcessOutput(BaseModel):
    pid: int
    window: str | None
    text: str


class PortPublic(BaseModel):
    """A listening TCP port of a project's session."""

    port: int
    address: str
    pid: int
    command: str
    preview_url: str | None = None


class DeployKeyPublic(BaseModel):
    """The public half of a user's deploy key, to add to a repository host."""

    model_config = ConfigDict(from_attributes=True)

    public_key: str
    fingerprint: str
    created_at: UtcDatetime


class TemplateCreate(Strict):
    """Save a project as a template: its description, architecture and plan (titles and details)."""

    name: str = PField(min_length=1, max_length=100)
    summary: str = PField(default="", max_length=300)


class TemplatePublic(BaseModel):
    """A starting point for a new project: built in (id like `builtin-fastapi`) or the user's own."""

    id: str
    name: str
    summary: str
    builtin: bool
    description: str
    architecture: str
    implementation_plan: list[PlanStepIn]
