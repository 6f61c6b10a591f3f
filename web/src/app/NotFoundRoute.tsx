// Any path the console does not know.
import { Link } from "react-router";

import { PageHeading } from "../components/PageHeading";

export function NotFoundRoute() {
  return (
    <section>
      <PageHeading>Page not found</PageHeading>
      <p>
        There is nothing here. Go to <Link to="/">the start page</Link>.
      </p>
    </section>
  );
}
