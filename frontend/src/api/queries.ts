import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { Id } from "./types";

export const qk = {
  agents: ["agents"] as const,
  agent: (id: Id) => ["agents", id] as const,
  agentProjects: (id: Id) => ["agents", id, "projects"] as const,
  projects: ["projects"] as const,
  project: (id: Id) => ["projects", id] as const,
  keys: ["keys"] as const,
  models: ["keys", "models"] as const,
  users: ["users"] as const,
  health: ["health"] as const,
  devices: ["notifications", "devices"] as const,
  channels: ["notifications", "channels"] as const,
};

export const agentsQuery = () =>
  queryOptions({ queryKey: qk.agents, queryFn: () => unwrap(api.GET("/api/agents")) });

export const agentQuery = (id: Id) =>
  queryOptions({ queryKey: qk.agent(id), queryFn: () => unwrap(api.GET("/api/agents/{agent_id}", { params: { path: { agent_id: id } } })) });

export const agentProjectsQuery = (id: Id) =>
  queryOptions({
    queryKey: qk.agentProjects(id),
    queryFn: () => unwrap(api.GET("/api/agents/{agent_id}/projects", { params: { path: { agent_id: id } } })),
  });

export const projectsQuery = () =>
  queryOptions({ queryKey: qk.projects, queryFn: () => unwrap(api.GET("/api/projects")), refetchInterval: 15_000 });

export const projectQuery = (id: Id) =>
  queryOptions({
    queryKey: qk.project(id),
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}", { params: { path: { project_id: id } } })),
  });

export const keysQuery = () => queryOptions({ queryKey: qk.keys, queryFn: () => unwrap(api.GET("/api/keys")) });
export const modelsQuery = () =>
  queryOptions({ queryKey: qk.models, queryFn: () => unwrap(api.GET("/api/keys/models")) });
export const usersQuery = () => queryOptions({ queryKey: qk.users, queryFn: () => unwrap(api.GET("/api/users")) });
export const devicesQuery = () =>
  queryOptions({ queryKey: qk.devices, queryFn: () => unwrap(api.GET("/api/notifications/subscriptions")) });
export const channelsQuery = () =>
  queryOptions({ queryKey: qk.channels, queryFn: () => unwrap(api.GET("/api/notifications/channels")) });
