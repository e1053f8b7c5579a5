import { describe, expect, it } from "vitest";
import { focusFirstInvalid } from "./forms";

function form(html: string): HTMLFormElement {
  const f = document.createElement("form");
  f.innerHTML = html;
  document.body.replaceChildren(f);
  return f;
}

describe("focusFirstInvalid", () => {
  it("focuses the first field marked invalid, in document order", () => {
    const f = form('<input id="a"><textarea id="b" aria-invalid="true"></textarea><input id="c" aria-invalid="true">');
    expect(focusFirstInvalid(f)).toBe(true);
    expect(document.activeElement?.id).toBe("b");
  });

  it("takes a marked block (a list with no field to point at) too", () => {
    const f = form('<input id="a" aria-invalid="false"><p id="p" tabindex="-1" data-invalid>Add a step</p>');
    expect(focusFirstInvalid(f)).toBe(true);
    expect(document.activeElement?.id).toBe("p");
  });

  it("does nothing on a valid form", () => {
    const f = form('<input id="a"><button id="go">Go</button>');
    (f.querySelector("#go") as HTMLButtonElement).focus();
    expect(focusFirstInvalid(f)).toBe(false);
    expect(document.activeElement?.id).toBe("go");
    expect(focusFirstInvalid(null)).toBe(false);
  });
});
