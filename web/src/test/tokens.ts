// Test helpers: unsigned JWT-shaped access tokens (the console reads only their `sub` claim).
export function accessTokenFor(userId: string, serial = 1): string {
  const encode = (value: object) =>
    btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${encode({ alg: "ES256" })}.${encode({ sub: userId, jti: serial })}.signature`;
}
