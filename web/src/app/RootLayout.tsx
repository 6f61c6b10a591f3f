// The frame of every page: a skip link, the unreachable-API banner, the header, the page.
import { Outlet } from "react-router";

import { ApiUnreachableBanner } from "../components/ApiUnreachableBanner";
import { SiteHeader } from "./SiteHeader";

export function RootLayout() {
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <ApiUnreachableBanner />
      <SiteHeader />
      <main id="main">
        <Outlet />
      </main>
    </>
  );
}
