// The console: the API and query client around the router.
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { createBrowserRouter, RouterProvider } from "react-router";

import { ApiProvider } from "../lib/api/api-context";
import type { Api } from "../lib/api/clients";
import { routes } from "./routes";

const router = createBrowserRouter(routes);

export function App({ api, queryClient }: { api: Api; queryClient: QueryClient }) {
  return (
    <ApiProvider api={api}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </ApiProvider>
  );
}
