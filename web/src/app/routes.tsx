// The console's pages: public ones (log in, sign up, the e-mail links') and those behind
// RequireSignIn; the staff area is also behind RequireStaff.
import { Navigate, type RouteObject } from "react-router";

import { AccountRoute } from "../features/accounts/routes/AccountRoute";
import { AccountsRoute } from "../features/accounts/routes/AccountsRoute";
import { AuditRoute } from "../features/audit/routes/AuditRoute";
import { ForgotPasswordRoute } from "../features/auth/routes/ForgotPasswordRoute";
import { LogInRoute } from "../features/auth/routes/LogInRoute";
import { ResetPasswordRoute } from "../features/auth/routes/ResetPasswordRoute";
import { SignUpRoute } from "../features/auth/routes/SignUpRoute";
import { VerifyEmailRoute } from "../features/auth/routes/VerifyEmailRoute";
import { ProjectionsRoute } from "../features/operations/routes/ProjectionsRoute";
import { NotificationSettingsRoute } from "../features/settings/routes/NotificationSettingsRoute";
import { ProfileRoute } from "../features/settings/routes/ProfileRoute";
import { SecurityRoute } from "../features/settings/routes/SecurityRoute";
import { SessionsRoute } from "../features/settings/routes/SessionsRoute";
import { SettingsLayout } from "../features/settings/routes/SettingsLayout";
import { StaffAccountRoute } from "../features/staff/routes/StaffAccountRoute";
import { StaffHomeRoute } from "../features/staff/routes/StaffHomeRoute";
import { StaffUserRoute } from "../features/staff/routes/StaffUserRoute";
import { NotificationsRoute } from "../features/notifications/routes/NotificationsRoute";
import { PaymentRoute } from "../features/payments/routes/PaymentRoute";
import { PaymentsRoute } from "../features/payments/routes/PaymentsRoute";
import { PayRoute } from "../features/payments/routes/PayRoute";
import { WebhookRoute } from "../features/webhooks/routes/WebhookRoute";
import { WebhooksRoute } from "../features/webhooks/routes/WebhooksRoute";
import { NotFoundRoute } from "./NotFoundRoute";
import { RequireSignIn } from "./RequireSignIn";
import { RequireStaff } from "./RequireStaff";
import { RootLayout } from "./RootLayout";

export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    children: [
      { path: "/login", element: <LogInRoute /> },
      { path: "/signup", element: <SignUpRoute /> },
      { path: "/verify-email", element: <VerifyEmailRoute /> },
      { path: "/forgot-password", element: <ForgotPasswordRoute /> },
      { path: "/reset-password", element: <ResetPasswordRoute /> },
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
          {
            path: "/settings",
            element: <SettingsLayout />,
            children: [
              { index: true, element: <Navigate to="/settings/profile" replace /> },
              { path: "profile", element: <ProfileRoute /> },
              { path: "security", element: <SecurityRoute /> },
              { path: "sessions", element: <SessionsRoute /> },
              { path: "notifications", element: <NotificationSettingsRoute /> },
            ],
          },
          {
            path: "/staff",
            element: <RequireStaff />,
            children: [
              { index: true, element: <StaffHomeRoute /> },
              { path: "users/:userId", element: <StaffUserRoute /> },
              { path: "accounts/:accountId", element: <StaffAccountRoute /> },
              { path: "audit/:streamId", element: <AuditRoute /> },
              { path: "projections", element: <ProjectionsRoute /> },
            ],
          },
        ],
      },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
];
