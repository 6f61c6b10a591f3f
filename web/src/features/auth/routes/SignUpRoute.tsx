// /signup: create an account, then on to the login page with the address filled in.
import { Link, useNavigate } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { SignUpForm } from "../components/SignUpForm";

export function SignUpRoute() {
  const navigate = useNavigate();
  return (
    <section className="narrow">
      <PageHeading>Sign up</PageHeading>
      <SignUpForm
        onSignedUp={(email) => void navigate("/login", { state: { email, signedUp: true } })}
      />
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
