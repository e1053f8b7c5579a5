// Friendly names for the generated OpenAPI schemas; the rest of the app imports from here.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type UserPublic = Schemas["UserPublic"];
export type UserAdminView = Schemas["UserAdminView"];
export type UserCreate = Schemas["UserCreate"];
export type TokenPair = Schemas["TokenPair"];
export type AgentPublic = Schemas["AgentPublic"];
export type AgentCreate = Schemas["AgentCreate"];
export type AgentUpdate = Schemas["AgentUpdate"];
export type PermissionPolicy = AgentPublic["permission_policy"];
export type ProjectPublic = Schemas["ProjectPublic"];
export type ProjectCreate = Schemas["ProjectCreate"];
export type ProjectUpdate = Schemas["ProjectUpdate"];
export type ProjectStatus = ProjectPublic["status"];
export type PlanStep = ProjectPublic["implementation_plan"][number];
export type StepStatus = PlanStep["status"];
export type LogPublic = Schemas["LogPublic"];
export type LogLevel = LogPublic["level"];
export type ApiKeyPublic = Schemas["ApiKeyPublic"];
export type ApiKeyCreate = Schemas["ApiKeyCreate"];
export type KeyTest = Schemas["KeyTestPublic"];
export type ModelOption = Schemas["ModelOptionPublic"];
export type Health = Schemas["Health"];
export type Id = ProjectPublic["id"];
export type PushDevice = Schemas["PushSubscriptionPublic"];
export type Question = Schemas["Question"];
export type ReplyRequest = Schemas["ReplyRequest"];
export type TerminalWindow = Schemas["ScreenText"]["window"];
// The WebSocket protocol (backend/autocode/ws_protocol.py).
export type CloseCode = Schemas["CloseCode"];
export type EventFrame = Schemas["EventFrame"];
export type TerminalServerFrame = Schemas["TerminalServerFrame"];
export type TerminalClientFrame = Schemas["TerminalClientFrame"];
