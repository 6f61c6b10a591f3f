// Vitest setup: DOM matchers (toBeInTheDocument, …) and a clean DOM and storage per test.
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
