// A signing secret, shown this once: the API never shows it again. Focused when it appears, so
// keyboard and screen-reader users land on it, with a button to copy it.
import { useEffect, useRef, useState, type ReactNode } from "react";

export function SecretOnce({
  secret,
  title,
  children,
  onDismiss,
}: {
  secret: string;
  title: string;
  children?: ReactNode;
  onDismiss: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    box.current?.focus();
  }, [secret]);
  return (
    <div
      ref={box}
      tabIndex={-1}
      className="alert alert-success"
      role="region"
      aria-labelledby="secret-heading"
    >
      <h2 id="secret-heading">{title}</h2>
      <p>
        Copy the signing secret now and keep it safe: it is shown only this once. Your endpoint
        checks each request&apos;s <code>webhook-signature</code> with it.
      </p>
      <code className="secret-once" data-testid="signing-secret">
        {secret}
      </code>
      {children}
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            void navigator.clipboard.writeText(secret).then(() => {
              setCopied(true);
            });
          }}
        >
          {copied ? "Copied" : "Copy the secret"}
        </button>
        <button type="button" onClick={onDismiss}>
          I have saved it
        </button>
      </div>
    </div>
  );
}
