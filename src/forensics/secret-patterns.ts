/**
 * Well-known secret formats, for `kcr secrets`. Each regex runs on text (env values, files) and,
 * through the memory scan, on the latin1 view of memory. The part to hide is the named group
 * `secret` (or the whole match after the public prefix). `anchors` are literals that every match
 * contains: the memory scan looks for them with memchr instead of running the regex on every byte.
 */
export interface SecretRule {
  id: string;
  title: string;
  regex: RegExp;
  /** Case-sensitive literals, one of which every match contains (needed for rules without a literal prefix). */
  anchors?: string[];
  /** How far before an anchor a match may start. */
  maxBack?: number;
  /** The part of a match that is not secret and stays visible when masked (e.g. `AKIA`). */
  publicPrefix?: RegExp;
  /** A generic rule: a more specific rule matching the same bytes wins. */
  generic?: boolean;
}

const SECRET_WORDS = 'TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|AUTH_?KEY';

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'aws-access-key-id',
    title: 'AWS access key ID',
    regex: /(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])/,
    anchors: ['AKIA', 'ASIA'],
    maxBack: 0,
    publicPrefix: /^A[KS]IA/,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key',
    regex: /aws_?secret_?access_?key["']?[ \t]{0,3}[=:][ \t]{0,3}["']?(?<secret>[A-Za-z0-9/+=]{40})/i,
    anchors: ['SECRET_ACCESS_KEY', 'secret_access_key', 'SecretAccessKey', 'secretAccessKey'],
    maxBack: 4,
  },
  {
    id: 'github-token',
    title: 'GitHub token',
    regex: /(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/,
    anchors: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    maxBack: 0,
    publicPrefix: /^(?:gh[pousr]_|github_pat_)/,
  },
  {
    id: 'gitlab-token',
    title: 'GitLab personal access token',
    regex: /glpat-[A-Za-z0-9_-]{20,}/,
    publicPrefix: /^glpat-/,
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    regex: /xox[abprs]-[0-9A-Za-z-]{10,}/,
    publicPrefix: /^xox[abprs]-/,
  },
  {
    id: 'stripe-key',
    title: 'Stripe-style secret key or token (sk_live_, rk_live_, tok_live_)',
    regex: /(?<![A-Za-z0-9])(?:sk|rk|tok)_(?:live|test)_[0-9A-Za-z]{8,}/,
    anchors: ['_live_', '_test_'],
    maxBack: 3,
    publicPrefix: /^[a-z]+_(?:live|test)_/,
  },
  {
    id: 'google-api-key',
    title: 'Google API key',
    regex: /AIza[0-9A-Za-z_-]{35}/,
    publicPrefix: /^AIza/,
  },
  {
    id: 'jwt',
    title: 'JSON Web Token',
    regex: /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
    publicPrefix: /^eyJ/,
  },
  {
    id: 'bearer-token',
    title: 'Bearer token (Authorization header)',
    regex: /[Bb]earer (?<secret>[A-Za-z0-9\-._~+/]{20,}=*)/,
    anchors: ['Bearer ', 'bearer '],
    maxBack: 0,
  },
  {
    id: 'basic-auth',
    title: 'HTTP Basic credentials (Authorization header)',
    regex: /Authorization:[ \t]*Basic (?<secret>[A-Za-z0-9+/]{12,}={0,2})/i,
    anchors: ['Basic '],
    maxBack: 24,
  },
  {
    id: 'pem-private-key',
    title: 'PEM private key',
    // The header alone is in every TLS library; the base64 body after it makes it a key.
    regex: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----\r?\n(?<secret>[A-Za-z0-9+/=\r\n:,-]{64})/,
  },
  {
    id: 'url-password',
    title: 'password in a URL',
    // No NUL in a value: in memory a C string ends there, and what follows is another string.
    regex:
      /[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:/@"'<>\0]{1,64}:(?<secret>[^\s@/"'<>\0]{1,128})@[A-Za-z0-9.-]+/,
    anchors: ['://'],
    maxBack: 21,
  },
  {
    id: 'secret-assignment',
    title: 'secret-looking name assigned a value (API_TOKEN=…, api_key: …)',
    regex: new RegExp(
      `(?<![A-Za-z0-9_])[A-Za-z0-9_.-]{0,48}(?:${SECRET_WORDS})[A-Za-z0-9_.-]{0,32}["']?[ \\t]{0,3}[=:][ \\t]{0,3}["']?(?<secret>[^\\s"'&;,<>\\\\\\0]{6,256})`,
      'i',
    ),
    anchors: [
      ...[
        'TOKEN',
        'SECRET',
        'PASSWORD',
        'PASSWD',
        'PASSPHRASE',
        'API_KEY',
        'APIKEY',
        'ACCESS_KEY',
        'PRIVATE_KEY',
      ],
      ...[
        'token',
        'secret',
        'password',
        'passwd',
        'passphrase',
        'api_key',
        'apikey',
        'access_key',
        'private_key',
      ],
      ...['Token', 'Secret', 'Password', 'ApiKey', 'apiKey', 'accessKey', 'AccessKey'],
    ],
    maxBack: 64,
    generic: true,
  },
];

/** The rule ids and titles, e.g. for `kcr secrets --help` and docs. */
export function secretRuleIds(): string[] {
  return SECRET_RULES.map((r) => r.id);
}

/** Where the secret part of a match lies: the `secret` group, or all after the public prefix. */
export function secretSpan(rule: SecretRule, match: RegExpExecArray): [number, number] {
  const group = match.indices?.groups?.secret;
  if (group) return [group[0] - match.index, group[1] - match.index];
  const prefix = rule.publicPrefix?.exec(match[0])?.[0].length ?? 0;
  return [prefix, match[0].length];
}
