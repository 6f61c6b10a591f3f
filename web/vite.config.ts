// Vite builds the console into dist/ (served by the gateway); Vitest runs the unit and component
// tests in jsdom. `npm run dev` proxies the API paths to a running gateway (LEDGERLINE_GATEWAY_URL,
// default https://127.0.0.1:8443) so the dev server and the APIs share one origin.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const gateway = process.env.LEDGERLINE_GATEWAY_URL ?? "https://127.0.0.1:8443";
const apiProxy = { target: gateway, changeOrigin: true, secure: false };

export default defineConfig({
  plugins: [react()],
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
