// The console's pages: public ones (log in, sign up, the e-mail link's) and those behind
// RequireSignIn.
import { Navigate, type RouteObject } from "react-router";

import { AccountRoute } from "../features/accounts/routes/AccountRoute";
import { AccountsRoute } from "../features/accounts/routes/AccountsRoute";
import { LogInRoute } from "../features/auth/routes/LogInRoute";
import { SignUpRoute } from "../features/auth/routes/SignUpRoute";
import { VerifyEmailRoute } from "../features/auth/routes/VerifyEmailRoute";
import { NotificationsRoute } from "../features/notifications/routes/NotificationsRoute";
import { PaymentRoute } from "../features/payments/routes/PaymentRoute";
import { PaymentsRoute } from "../features/payments/routes/PaymentsRoute";
import { PayRoute } from "../features/payments/routes/PayRoute";
import { WebhookRoute } from "../features/webhooks/routes/WebhookRoute";
import { WebhooksRoute } from "../features/webhooks/routes/WebhooksRoute";
import { NotFoundRoute } from "./NotFoundRoute";
import { RequireSignIn } from "./RequireSignIn";
import { RootLayout } from "./RootLayout";

export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    children: [
      { path: "/login", element: <LogInRoute /> },
      { path: "/signup", element: <SignUpRoute /> },
      { path: "/verify-email", element: <VerifyEmailRoute /> },
      {
        element: <RequireSignIn />,
        children: [
          { path: "/", element: <Navigate to="/accounts" replace /> },
          { path: "/accounts", element: <AccountsRoute /> },
          { path: "/accounts/:accountId", element: <AccountRoute /> },
          { path: "/payments", element: <PaymentsRoute /> },
          { path: "/payments/new", element: <PayRoute /> },
          { path: "/payments/:paymentId", element: <PaymentRoute /> },
          { path: "/notifications", element: <NotificationsRoute /> },
          { path: "/webhooks", element: <WebhooksRoute /> },
          { path: "/webhooks/:endpointId", element: <WebhookRoute /> },
        ],
      },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
];
