// The signed-in user's tokens, and who that is.
//
// Where they are kept, and why:
// - The access token (an ES256 JWT, 10 minutes) lives in memory only: it is what an attacker
//   would want most, and a new one is one refresh away.
// - The refresh token (rotated on every use, 30 days at most) and the user id are kept in
//   sessionStorage, so a reload of the tab keeps the user signed in. sessionStorage belongs to
//   one tab and is gone when the tab closes; localStorage would be shared by every tab, and
//   since the API treats a second use of a rotated refresh token as theft and revokes the
//   session, tabs sharing one token would log each other out. (A duplicated tab copies
//   sessionStorage: its first refresh wins and the other tab returns to the login page.)
// - An httpOnly cookie would hide the refresh token from scripts, but the API hands tokens out
//   in JSON bodies; the console's Content-Security-Policy (scripts from its own origin only)
//   is what keeps foreign scripts away from it. Nothing here is ever logged.

const STORAGE_KEY = "ledgerline.session";
// Refresh this long before the access token expires, so a request never carries one that
// expires on the way.
const EXPIRY_MARGIN_MS = 30_000;

export interface SessionTokens {
  access_token: string;
  expires_in: number;
  refresh_token: string;
}

interface Persisted {
  userId: string;
  refreshToken: string;
  /** The roles claim of the latest access token: which pages to offer, not a permission (the
   * API decides every request by the token itself). */
  roles: readonly string[];
}

const NO_ROLES: readonly string[] = Object.freeze([]);

function claimsOf(jwt: string): { sub?: unknown; roles?: unknown } {
  const payload = jwt.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as { sub?: unknown; roles?: unknown };
}

/** The `sub` claim (the user id) of a JWT; the signature is the API's business, not ours. */
export function subjectOf(jwt: string): string {
  const claims = claimsOf(jwt);
  if (typeof claims.sub !== "string") throw new Error("the access token names no subject");
  return claims.sub;
}

/** The `roles` claim of a JWT (none when it has no list of strings there). */
export function rolesOf(jwt: string): readonly string[] {
  const { roles } = claimsOf(jwt);
  return Array.isArray(roles) ? roles.filter((role) => typeof role === "string") : NO_ROLES;
}

function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role, index) => role === b[index]);
}

function load(storage: Storage): Persisted | null {
  try {
    const value = JSON.parse(storage.getItem(STORAGE_KEY) ?? "null") as Partial<Persisted> | null;
    if (typeof value?.userId === "string" && typeof value.refreshToken === "string") {
      const roles = Array.isArray(value.roles)
        ? value.roles.filter((role) => typeof role === "string")
        : NO_ROLES;
      return { userId: value.userId, refreshToken: value.refreshToken, roles };
    }
  } catch {
    // An unreadable entry is no session.
  }
  return null;
}

export class Session {
  private persisted: Persisted | null;
  private access: { token: string; expiresAt: number } | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly storage: Storage = sessionStorage,
    private readonly now: () => number = Date.now,
  ) {
    this.persisted = load(storage);
  }

  /** For useSyncExternalStore: the signed-in user's id, or null. */
  readonly userId = (): string | null => this.persisted?.userId ?? null;

  /** For useSyncExternalStore: the roles of the latest access token (the same array until
   * they change). */
  readonly roles = (): readonly string[] => this.persisted?.roles ?? NO_ROLES;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The access token, unless there is none or it is about to expire. */
  accessToken(): string | null {
    if (this.access === null || this.now() >= this.access.expiresAt - EXPIRY_MARGIN_MS) {
      return null;
    }
    return this.access.token;
  }

  refreshToken(): string | null {
    return this.persisted?.refreshToken ?? null;
  }

  /** Start the session, or continue it with rotated tokens. */
  begin(tokens: SessionTokens): void {
    const userId = subjectOf(tokens.access_token);
    const fresh = rolesOf(tokens.access_token);
    const changedUser = userId !== this.persisted?.userId;
    const previous = this.persisted?.roles ?? NO_ROLES;
    const changedRoles = !sameRoles(previous, fresh);
    const roles = changedRoles ? fresh : previous;
    this.access = { token: tokens.access_token, expiresAt: this.now() + tokens.expires_in * 1000 };
    this.persisted = { userId, refreshToken: tokens.refresh_token, roles };
    this.storage.setItem(STORAGE_KEY, JSON.stringify(this.persisted));
    if (changedUser || changedRoles) this.notify();
  }

  /** Forget everything (logged out, or the refresh token was refused). */
  end(): void {
    const hadUser = this.persisted !== null;
    this.access = null;
    this.persisted = null;
    this.storage.removeItem(STORAGE_KEY);
    if (hadUser) this.notify();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
