/** Words the UI shows that must say what the server really does (checked by tests on both sides). */

/** The server deletes a project's workspace folder with the project (services/projects.delete_project). */
export const DELETE_PROJECT_BODY = "Its logs, its plan and its workspace files are deleted from the server. This cannot be undone.";

/** Deleting an agent deletes its projects, and their workspaces with them. */
export const DELETE_AGENT_BODY = "Its projects, their logs and their workspace files are deleted from the server. This cannot be undone.";

/** What an agent's `tools` list does (supervisor/brain.py READ_HELPERS): it lets the decision model read the
 * workspace. Claude Code's own tools are not changed by it. */
export const DECISION_MODEL_TOOLS = ["read_file", "list_dir", "search"] as const;

export const TOOLS_HINT =
  "Read-only helpers for the decision model that steers Claude Code: read_file, list_dir, search " +
  "(comma-separated). Other names do nothing, and Claude Code's own tools are not changed. Empty: it decides from what Claude Code reports.";
