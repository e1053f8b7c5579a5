import { describe, expect, it } from "vitest";
import { ApiError, formErrors } from "./errors";

const names = { name: "name", budget_tokens: "budget", implementation_plan: "steps" } as const;
const v422 = (...items: { loc: unknown[]; msg: string }[]) => new ApiError(422, "invalid", items);

describe("formErrors", () => {
  it("puts a 422's messages at the fields its loc names", () => {
    const e = v422({ loc: ["body", "budget_tokens"], msg: "Input should be less than or equal to 9223372036854775807" });
    expect(formErrors(e, names)).toEqual({ fields: { budget: "Input should be less than or equal to 9223372036854775807" }, other: null });
  });

  it("gives a field what lies inside it, first message first", () => {
    const e = v422(
      { loc: ["body", "implementation_plan", 0, "title"], msg: "String should have at least 1 character" },
      { loc: ["body", "implementation_plan", 1, "title"], msg: "second" },
    );
    expect(formErrors(e, names).fields).toEqual({ steps: "String should have at least 1 character" });
  });

  it("keeps what belongs to no field in one line, and drops pydantic's 'Value error' prefix", () => {
    const e = v422({ loc: ["body", "slug"], msg: "Value error, taken" }, { loc: ["body", "name"], msg: "Value error, too long" }, { loc: ["query", "x"], msg: "bad" });
    expect(formErrors(e, names)).toEqual({ fields: { name: "too long" }, other: "slug: taken; query.x: bad" });
  });

  it("does not take a field by a shared prefix of its name", () => {
    expect(formErrors(v422({ loc: ["body", "names"], msg: "m" }), names)).toEqual({ fields: {}, other: "names: m" });
  });

  it("shows any other refusal as one line", () => {
    expect(formErrors(new ApiError(409, "A project with this folder exists"), names)).toEqual({ fields: {}, other: "A project with this folder exists" });
    expect(formErrors(new Error("boom"), names)).toEqual({ fields: {}, other: "boom" });
    expect(formErrors(null, names)).toEqual({ fields: {}, other: null });
  });
});
