// Vite builds the console into dist/ (served by the gateway); Vitest runs the unit and component
// tests in jsdom. `npm run dev` proxies the API paths to a running gateway (LEDGERLINE_GATEWAY_URL,
// default https://127.0.0.1:8443) so the dev server and the APIs share one origin.
import react from "@vitejs/plugin-react";
import { gzipSync } from "node:zlib";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/** The first page's JavaScript budget, gzipped, in kB (1000 bytes, as Vite reports sizes). */
const FIRST_PAGE_BUDGET_KB = 200;

/** After `vite build`: prints the gzipped size of the JavaScript the first page loads (the
 * entry chunk index.html's module script names and, transitively, the chunks it imports
 * statically, which Vite also modulepreloads; chunks loaded by dynamic import() are left out)
 * and fails the build when it is over the budget. */
function firstPageBudget(): Plugin {
  return {
    name: "ledgerline:first-page-budget",
    apply: "build",
    writeBundle(_options, bundle) {
      const chunks = new Map<string, { code: string; imports: string[] }>();
      const entries: string[] = [];
      for (const [fileName, output] of Object.entries(bundle)) {
        if (output.type !== "chunk") continue;
        chunks.set(fileName, { code: output.code, imports: output.imports });
        if (output.isEntry) entries.push(fileName);
      }
      const loaded = new Set<string>();
      const visit = (fileName: string): void => {
        const chunk = chunks.get(fileName);
        if (chunk === undefined || loaded.has(fileName)) return;
        loaded.add(fileName);
        chunk.imports.forEach(visit);
      };
      entries.forEach(visit);
      let bytes = 0;
      for (const fileName of loaded) {
        bytes += gzipSync(chunks.get(fileName)?.code ?? "").length;
      }
      const kb = (bytes / 1000).toFixed(1);
      const files = [...loaded].join(", ");
      console.log(
        `first page JavaScript: ${kb} kB gzipped (budget ${FIRST_PAGE_BUDGET_KB} kB): ${files}`,
      );
      if (bytes > FIRST_PAGE_BUDGET_KB * 1000) {
        this.error(
          `the first page's JavaScript is ${kb} kB gzipped, over its ` +
            `${FIRST_PAGE_BUDGET_KB} kB budget: lazy-load more of it`,
        );
      }
    },
  };
}

const gateway = process.env.LEDGERLINE_GATEWAY_URL ?? "https://127.0.0.1:8443";
const apiProxy = { target: gateway, changeOrigin: true, secure: false };

export default defineConfig({
  plugins: [react(), firstPageBudget()],
  build: {
    outDir: "dist",
    // Hashed file names under assets/: the gateway serves them as immutable.
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    proxy: { "/v1": apiProxy, "/.well-known": apiProxy },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
  },
});
