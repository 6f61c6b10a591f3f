// The otpauth URI as a QR code for an authenticator app to scan, drawn as SVG from the module
// matrix of the `qrcode` library (loaded only when a QR code is shown). Nothing is injected as
// markup: the URI carries the secret, and the page builds the picture itself.
import { useEffect, useState } from "react";

const QUIET_ZONE = 4; // modules of white around the code, as the standard asks

/** An SVG path drawing every dark module of a size × size matrix as a 1 × 1 square. */
export function modulePath(size: number, dark: (row: number, column: number) => boolean): string {
  const squares: string[] = [];
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      if (dark(row, column)) squares.push(`M${column + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`);
    }
  }
  return squares.join("");
}

export function TotpQrCode({ uri }: { uri: string }) {
  const [drawing, setDrawing] = useState<{ uri: string; size: number; path: string } | null>(null);

  useEffect(() => {
    let current = true;
    void import("qrcode").then(({ default: QRCode }) => {
      const { modules } = QRCode.create(uri, { errorCorrectionLevel: "M" });
      const path = modulePath(modules.size, (row, column) => Boolean(modules.get(row, column)));
      if (current) setDrawing({ uri, size: modules.size, path });
    });
    return () => {
      current = false;
    };
  }, [uri]);

  if (drawing?.uri !== uri) return <p className="qr-placeholder">Drawing the QR code…</p>;
  const side = drawing.size + 2 * QUIET_ZONE;
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label="QR code to scan with your authenticator app"
      viewBox={`0 0 ${side} ${side}`}
      shapeRendering="crispEdges"
      data-testid="totp-qr-code"
    >
      <rect width={side} height={side} fill="#fff" />
      <path d={drawing.path} fill="#000" />
    </svg>
  );
}
