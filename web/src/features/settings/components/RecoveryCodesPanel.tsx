// The recovery codes, shown once right after the second factor is turned on: copy them or
// download them as a text file, then confirm they are put away.
import { useEffect, useRef, useState } from "react";

export function RecoveryCodesPanel({ codes, onDone }: { codes: readonly string[]; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const text = `Ledgerline recovery codes (each works once):\n${codes.join("\n")}\n`;

  useEffect(() => {
    heading.current?.focus(); // the form that was focused is gone: land on what replaced it
  }, []);

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "ledgerline-recovery-codes.txt";
    link.click();
    URL.revokeObjectURL(url);
  };

  return (
    <section aria-labelledby="recovery-heading" className="panel">
      <h3 id="recovery-heading" ref={heading} tabIndex={-1}>
        Your recovery codes
      </h3>
      <p role="status" className="alert alert-success">
        Two-step login is on.
      </p>
      <p>
        If you lose your phone, each of these codes logs you in once instead of a code from the
        app. Keep them somewhere safe: they are shown only now.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="button-row">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            navigator.clipboard.writeText(text).then(
              () => {
                setCopied("Copied to the clipboard.");
              },
              () => {
                setCopied("Copying is not allowed here: select the codes and copy them.");
              },
            );
          }}
        >
          Copy codes
        </button>
        <button type="button" className="secondary" onClick={download}>
          Download codes
        </button>
        <button type="button" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <p aria-live="polite" className="field-hint">
        {copied}
      </p>
    </section>
  );
}
