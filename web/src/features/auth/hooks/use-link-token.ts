// The token of an e-mailed link (/verify-email?token=…, /reset-password?token=…), taken out of
// the address bar as soon as the page has read it: it then lives only in this page's memory,
// not in the tab's history or a bookmark. (The gateway sends Referrer-Policy: no-referrer, so
// it never leaves in a Referer header either.) A reload after that has no token: the person
// opens the link again.
import { useEffect, useState } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";

export function useLinkToken(): string {
  const [search] = useSearchParams();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const fromUrl = search.get("token");
  const [token] = useState(() => fromUrl ?? "");
  useEffect(() => {
    if (fromUrl !== null) void navigate(pathname, { replace: true });
  }, [fromUrl, pathname, navigate]);
  return token;
}
