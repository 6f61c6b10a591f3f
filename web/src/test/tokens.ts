// Test helpers: unsigned JWT-shaped access tokens (the console reads only their `sub` and `roles`
// claims).
export function accessTokenFor(
  userId: string,
  serial = 1,
  roles: readonly string[] = ["customer"],
): string {
  const encode = (value: object) =>
    btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${encode({ alg: "ES256" })}.${encode({ sub: userId, jti: serial, roles })}.signature`;
}
