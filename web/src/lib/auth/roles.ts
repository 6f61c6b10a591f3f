// What the roles of the signed-in user's token let the console offer (see the API's Auth rules).
// Offering is all it is: the API checks every request against the token itself.

export const STAFF_ROLES = ["operator", "auditor", "admin"] as const;

const hasAny = (roles: readonly string[], wanted: readonly string[]) =>
  roles.some((role) => wanted.includes(role));

/** Operators, auditors and admins: the staff area. */
export const isStaff = (roles: readonly string[]) => hasAny(roles, STAFF_ROLES);

/** Freeze, unfreeze and close any account. */
export const mayOperateAccounts = (roles: readonly string[]) => hasAny(roles, ["operator", "admin"]);

/** Audit trails of any stream, any user's profile, user search. */
export const mayAudit = (roles: readonly string[]) => hasAny(roles, ["auditor", "admin"]);
