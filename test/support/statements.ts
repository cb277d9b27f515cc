/**
 * Statements a request authenticated by an API key sends to look the key up, before its own.
 * Budgets are asserted as this plus the statements of the request itself.
 */
export const AUTH_LOOKUP_STATEMENTS = 1;
