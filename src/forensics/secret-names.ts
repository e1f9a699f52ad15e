/**
 * What counts as a secret-looking environment variable. Values are masked in every view unless
 * the caller asks to see them: archives leak as easily as any other file.
 */
import { SECRET_RULES, type SecretRule } from './secret-patterns.js';

const SECRET_NAME =
  /(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|(^|_)(PASS|PWD|PW|PASSWD|CREDS?|PIN|SALT|JWT|BEARER|HMAC|OTP)($|_)|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE|(^|_)KEY($|_)|AUTH|SESSION|COOKIE|CERT|SIGNATURE|DSN|CONN(ECTION)?_?STR)/i;
/** Names that match the pattern above but are not secrets. */
const NOT_SECRET = new Set(['PWD', 'OLDPWD', 'KEYTIMEOUT', 'SSH_AUTH_SOCK', 'XAUTHORITY', 'GPG_AGENT_INFO']);

export const MASK = '********';

export function isSecretName(name: string): boolean {
  return !NOT_SECRET.has(name.toUpperCase()) && SECRET_NAME.test(name);
}

/** URLs with inline credentials (`scheme://user:password@host`) are secrets whatever their name. */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]{1,256}:[^\s@/]{1,256}@/i;

/**
 * An environment entry without `=` (a process may rewrite its environ block): its text may be a
 * name and a value run together (`SECRET_TOKENabc123`), so it is a secret when either test says so.
 */
export function isSecretEntry(entry: string): boolean {
  return isSecretName(entry) || looksLikeSecretValue(entry);
}

/** Values that are secrets whatever their name: URLs with passwords and well-known token formats. */
export function looksLikeSecretValue(value: string): boolean {
  return (
    (value.includes('://') && URL_WITH_PASSWORD.test(value)) ||
    SECRET_RULES.some((rule) => !rule.generic && mayMatch(rule, value) && rule.regex.test(value))
  );
}

/**
 * A case-sensitive rule matches only text holding one of its anchors (secret-patterns.ts); testing
 * for them first keeps an 8 MiB annotation from costing a regex pass per rule.
 */
function mayMatch(rule: SecretRule, value: string): boolean {
  return rule.regex.ignoreCase || !rule.anchors || rule.anchors.some((a) => value.includes(a));
}
