// Two-step login: off (with a button to set it up), being set up (the QR code, the secret as
// text, the confirmation code), just turned on (the recovery codes, once), or on (turning off).
import { useEffect, useRef, useState, type ReactNode } from "react";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { useStartTotpEnrolment, type TotpEnrolment } from "../api/use-second-factor";
import type { User } from "../api/use-user";
import { ConfirmTotpForm } from "./ConfirmTotpForm";
import { DisableMfaForm } from "./DisableMfaForm";
import { RecoveryCodesPanel } from "./RecoveryCodesPanel";
import { TotpQrCode } from "./TotpQrCode";

type Step =
  | { kind: "idle" }
  | { kind: "enrolling"; enrolment: TotpEnrolment }
  | { kind: "codes"; codes: readonly string[] }
  | { kind: "disabled" };

/** A heading that takes the focus when it appears: the button that led here is gone, and
 * keyboard and screen-reader users land on what replaced it. */
function FocusedHeading({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <h3 ref={heading} tabIndex={-1}>
      {children}
    </h3>
  );
}

/** Whether two-step login is on, focused when the page comes back to it from a step. */
function Outcome({ focus, children }: { focus: boolean; children: ReactNode }) {
  const line = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (focus) line.current?.focus();
  }, [focus]);
  return (
    <p ref={line} tabIndex={-1}>
      {children}
    </p>
  );
}

/** The Base32 secret in groups of four, easier to type. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, "$1 ");

export function SecondFactor({ user }: { user: User }) {
  const start = useStartTotpEnrolment(user.id);
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [returned, setReturned] = useState(false); // back from setting up: focus the outcome

  if (step.kind === "codes") {
    return (
      <RecoveryCodesPanel
        codes={step.codes}
        onDone={() => {
          setReturned(true);
          setStep({ kind: "idle" });
        }}
      />
    );
  }
  if (step.kind === "enrolling") {
    const { enrolment } = step;
    return (
      <div className="panel">
        <FocusedHeading>Set up two-step login</FocusedHeading>
        <ol className="steps">
          <li>
            Scan this QR code with an authenticator app (such as FreeOTP, Aegis or Google
            Authenticator).
            <TotpQrCode uri={enrolment.otpauth_uri} />
          </li>
          <li>
            Or type this key into the app instead:{" "}
            <code className="secret" data-testid="totp-secret">
              {grouped(enrolment.secret)}
            </code>
          </li>
          <li>Enter the code the app shows to finish.</li>
        </ol>
        <ConfirmTotpForm
          userId={user.id}
          onConfirmed={(codes) => {
            setStep({ kind: "codes", codes });
          }}
        />
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setReturned(true);
            setStep({ kind: "idle" });
          }}
        >
          Cancel
        </button>
      </div>
    );
  }
  if (user.mfa_enabled) {
    return (
      <>
        <Outcome focus={returned}>
          Two-step login is <strong>on</strong>: logging in asks for a code from your
          authenticator app (or a recovery code) after the password.
        </Outcome>
        <DisableMfaForm
          userId={user.id}
          onDisabled={() => {
            setReturned(false);
            setStep({ kind: "disabled" });
          }}
        />
      </>
    );
  }
  return (
    <>
      {step.kind === "disabled" ? (
        <p role="status" className="alert alert-success">
          Two-step login is off.
        </p>
      ) : null}
      <Outcome focus={returned}>
        Two-step login is <strong>off</strong>. With it on, logging in also asks for a code from an
        app on your phone, so a stolen password alone is not enough.
      </Outcome>
      <ProblemAlert error={start.error} />
      <button
        type="button"
        disabled={start.isPending}
        onClick={() => {
          start.mutate(undefined, {
            onSuccess: (enrolment) => {
              setStep({ kind: "enrolling", enrolment });
            },
          });
        }}
      >
        {start.isPending ? "Starting…" : "Set up two-step login"}
      </button>
    </>
  );
}
