// Component-test harness: the console's real routes, API clients and query client, on a fake
// fetch that answers from a table of "METHOD /path" handlers (anything else is a 404 problem).
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";

import { routes } from "../app/routes";
import { Session } from "../lib/auth/session";
import { ApiProvider } from "../lib/api/api-context";
import { createApi } from "../lib/api/clients";
import { accessTokenFor } from "./tokens";

export type Handler = (request: Request) => Response | Promise<Response>;

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

export const problem = (status: number, code: string, detail: string, errors?: object[]) =>
  new Response(
    JSON.stringify({ type: `https://ledgerline.dev/problems/${code}`, title: code, status, detail, errors }),
    { status, headers: { "Content-Type": "application/problem+json" } },
  );

export function signedInSession(userId: string, roles: readonly string[] = ["customer"]): Session {
  const session = new Session(sessionStorage, () => 0);
  session.begin({
    access_token: accessTokenFor(userId, 1, roles),
    expires_in: 600,
    refresh_token: "r1",
  });
  return session;
}

export function renderConsole(
  path: string,
  handlers: Record<string, Handler>,
  session: Session = new Session(),
) {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request.clone());
    const url = new URL(request.url);
    const handler = handlers[`${request.method} ${url.pathname}`];
    return handler ? handler(request) : problem(404, "not-found", `no fake for ${url.pathname}`);
  };
  const api = createApi({ baseUrl: "http://localhost", fetch, session });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const view = render(
    <ApiProvider api={api}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </ApiProvider>,
  );
  return { ...view, api, router, requests };
}
