import { describe, expect, it } from "vitest";
import { answerForm } from "./question";

describe("answerForm", () => {
  it.each([
    [null, { kind: "text" }],
    [{ kind: "permission", text: "Claude Code asks: Do you want to create a.txt?", choices: ["Yes", "No"] }, { kind: "decision" }],
    [{ kind: "question", text: "Which database?", choices: ["SQLite", "Postgres"] }, { kind: "choices", choices: ["SQLite", "Postgres"] }],
    [{ kind: "question", text: "What next?", choices: [] }, { kind: "text" }],
    [{ kind: "error", text: "Step 2 failed", choices: [] }, { kind: "text" }],
  ] as const)("%j → %j", (question, form) => {
    expect(answerForm(question === null ? null : { ...question, choices: [...question.choices] })).toEqual(form);
  });
});
