// A page's h1, focused when the page appears so keyboard and screen-reader users land on the
// new page rather than on whatever link led there.
import { useEffect, useRef, type ReactNode } from "react";

export function PageHeading({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}
