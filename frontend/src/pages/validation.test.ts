import { describe, expect, it } from "vitest";
import { usernameError } from "./Admin";
import { slugify } from "./NewProject";

describe("form rules match the server", () => {
  it("validates usernames like ^[a-z][a-z0-9_-]{1,31}$", () => {
    expect(usernameError("bob")).toBeNull();
    expect(usernameError("Bob")).toBe("Must start with a lowercase letter");
    expect(usernameError("b")).toBe("2 to 32 characters");
    expect(usernameError("bo b")).toBe("Only lowercase letters, digits, _ and -");
    expect(usernameError("a".repeat(33))).toBe("2 to 32 characters");
  });
  it("makes folder names from project names", () => {
    expect(slugify("My Eshop 2!")).toBe("my-eshop-2");
    expect(slugify("Čaj & kafe")).toBe("caj-kafe");
  });
});
