"""What the model is told and offered: its role, and the JSON schemas of the Steering and memory tools."""

from __future__ import annotations

from typing import Any

from autocode.supervisor import memory

STEERING_TOOLS = ("send_text", "press_key", "mark_step_done", "mark_step_failed", "revise_plan", "ask_human")
MEMORY_TOOLS = ("remember",)  # the brain's own: MEMORY.md in its folder

ROLE = """# Your role
You are the decision layer of AutoCode's supervisor, which drives Claude Code (a coding agent
in a terminal) through the implementation plan above. You are called only when the
supervisor's rules cannot decide. Act only through your tools:
- mark_step_done: the current step's result is verified or clearly achieved.
- mark_step_failed: the step cannot be completed as planned.
- send_text: type a message into Claude Code (answer its question, give instructions).
- press_key: press one key in Claude Code (Enter, Escape, C-c, a digit to pick a choice).
- revise_plan: replace the remaining steps when the plan no longer fits.
- ask_human: when only the human can decide.
- remember: keep one short fact worth knowing at later steps (a command that works, a decision
  the human made, a pitfall); it appears under "Project memory" from then on.
Make the fewest calls that settle the situation, then answer in one or two sentences with the
reason for your decision."""


def obj(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


STR = {"type": "string"}

STEERING_SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "send_text": (
        "Type a message or prompt into Claude Code and submit it.",
        obj({"text": {**STR, "description": "What to send, as the human would type it."}}, ["text"]),
    ),
    "press_key": (
        "Press one key in Claude Code's terminal: Enter, Escape, C-c, Up, Down, Tab, or a digit.",
        obj({"key": {**STR, "description": "The key name."}}, ["key"]),
    ),
    "mark_step_done": (
        "Mark the current plan step done.",
        obj({"summary": {**STR, "description": "One line: what was done and what proves it."}}, ["summary"]),
    ),
    "mark_step_failed": (
        "Mark the current plan step failed.",
        obj({"reason": {**STR, "description": "Why it cannot be completed."}}, ["reason"]),
    ),
    "revise_plan": (
        "Replace the remaining (not yet done) plan steps.",
        obj(
            {
                "steps": {
                    "type": "array",
                    "description": "The new remaining steps, in order.",
                    "items": obj({"title": STR, "detail": STR}, ["title", "detail"]),
                },
                "reason": {**STR, "description": "Why the plan changes."},
            },
            ["steps", "reason"],
        ),
    ),
    "ask_human": (
        "Ask the human a question; the project waits for the answer.",
        obj({"question": {**STR, "description": "A short, self-contained question."}}, ["question"]),
    ),
}

MEMORY_SCHEMAS: dict[str, tuple[str, dict[str, Any]]] = {
    "remember": (
        "Keep one fact for later decisions of this project (shown under 'Project memory').",
        obj(
            {
                "fact": {
                    **STR,
                    "description": f"One self-contained line, under {memory.MAX_FACT_CHARS} characters.",
                }
            },
            ["fact"],
        ),
    ),
}
