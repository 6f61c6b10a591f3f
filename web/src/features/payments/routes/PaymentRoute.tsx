// /payments/:paymentId: one payment, read at least at the version this console last wrote to
// it; its payee (the merchant) may capture, void or refund it here.
import { useQueryClient } from "@tanstack/react-query";
import { Link, useParams } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useUserAccounts } from "../../../lib/accounts/use-user-accounts";
import { queryKeys } from "../../../lib/api/query-keys";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { usePayment } from "../api/use-payment";
import { PayeeActions } from "../components/PayeeActions";
import { PaymentDetails } from "../components/PaymentDetails";

export function PaymentRoute() {
  const { paymentId = "" } = useParams();
  const userId = useSignedInUserId();
  const payment = usePayment(paymentId);
  const accounts = useUserAccounts(userId);
  const queryClient = useQueryClient();
  const own = new Set((accounts.data ?? []).map((account) => account.id));
  const data = payment.data;
  const role = data
    ? { payer: own.has(data.payer_account_id), payee: own.has(data.payee_account_id) }
    : { payer: false, payee: false };

  return (
    <section>
      <p>
        <Link to="/payments">← All payments</Link>
      </p>
      <PageHeading>{data ? `Payment to ${data.merchant ?? "a merchant"}` : "Payment"}</PageHeading>
      {payment.isPending ? <p>Loading the payment…</p> : null}
      <ProblemAlert error={payment.error} />
      {data ? (
        <>
          {role.payee || role.payer ? (
            <p>{role.payee ? "You are paid by this payment." : "You pay this payment."}</p>
          ) : null}
          <PaymentDetails payment={data} role={role} />
          {role.payee ? (
            <PayeeActions
              payment={data}
              onReload={() =>
                void queryClient.invalidateQueries({ queryKey: queryKeys.payment(paymentId) })
              }
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}
