// Entry point: mounts the console on #root.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./app/App";
import { createQueryClient } from "./app/query-client";
import { createApi } from "./lib/api/clients";
import "./styles.css";

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App api={createApi()} queryClient={createQueryClient()} />
  </StrictMode>,
);
