// The accounts list's hook lives in lib/accounts (the payments pages use it too).
export { useUserAccounts, type Account } from "../../../lib/accounts/use-user-accounts";
