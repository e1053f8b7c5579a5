import type { Question } from "../api/types";

/** How the needs-help card lets the user answer. */
export type AnswerForm =
  | { kind: "decision" } // a permission: Approve / Deny (free text still possible)
  | { kind: "choices"; choices: string[] } // a menu: one button per choice
  | { kind: "text" }; // anything else: a free-text answer

export function answerForm(question: Question | null | undefined): AnswerForm {
  if (!question) return { kind: "text" };
  if (question.kind === "permission") return { kind: "decision" };
  if (question.kind === "question" && question.choices && question.choices.length > 0) {
    return { kind: "choices", choices: question.choices.slice(0, 9) };
  }
  return { kind: "text" };
}
