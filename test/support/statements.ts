/**
 * Statements a request sends to look its API key up, before its own: none once the key has been
 * seen (the auth cache, see src/core/auth/auth-cache.ts). Budgets are asserted as this plus the
 * statements of the request itself, for a key the test used before.
 */
export const AUTH_LOOKUP_STATEMENTS = 0;
