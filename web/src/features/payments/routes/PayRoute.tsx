// /payments/new?from=<account id>: pay a merchant, from the account named (or the first open
// one); then the new payment's page, read at the version the payment returned.
import { useNavigate, useSearchParams } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useUserAccounts } from "../../../lib/accounts/use-user-accounts";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { PayForm } from "../components/PayForm";

export function PayRoute() {
  const userId = useSignedInUserId();
  const accounts = useUserAccounts(userId);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  return (
    <section className="narrow">
      <PageHeading>Pay a merchant</PageHeading>
      <p>
        The amount is held on your account until the merchant captures it (then it is paid) or
        voids it (then the hold is released).
      </p>
      {accounts.isPending ? <p>Loading your accounts…</p> : null}
      <ProblemAlert error={accounts.error} />
      {accounts.data ? (
        <PayForm
          accounts={accounts.data}
          defaultPayer={params.get("from") ?? undefined}
          onPaid={(paymentId) => void navigate(`/payments/${paymentId}`)}
        />
      ) : null}
    </section>
  );
}
