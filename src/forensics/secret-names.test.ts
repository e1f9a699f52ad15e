/**
 * What inspect, diff and secrets mask: secret-looking names (the audit's DB_PASS and MYSQL_PWD
 * among them), secret-looking values whatever their name, and whole entries without `=` (a process
 * that rewrote its environ block can leave `SECRET_TOKENs3cr3t` behind). Long hostile values are
 * answered without a quadratic regex pass.
 */
import { describe, expect, it } from 'vitest';
import { maskEnv } from './cmdline-env.js';
import { MASK, isSecretEntry, isSecretName, looksLikeSecretValue } from './secret-names.js';

describe('secret-looking names', () => {
  it.each([
    'DB_PASS',
    'MYSQL_PWD',
    'PGPASSWORD',
    'REDIS_PASSWORD',
    'API_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'GITHUB_PAT_KEY',
    'SESSION_COOKIE',
    'DATABASE_DSN',
    'MONGO_CONNECTION_STRING',
  ])('%s is a secret name', (name) => expect(isSecretName(name)).toBe(true));

  it.each(['PATH', 'HOME', 'PWD', 'OLDPWD', 'HOSTNAME', 'TERM', 'SSH_AUTH_SOCK', 'KEYTIMEOUT'])(
    '%s is not',
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

describe('secret-looking values, whatever the name', () => {
  it.each([
    'postgres://app:hunter2@db:5432/app',
    'ghp_0123456789abcdefghijABCDEFGHIJ012345',
    'AKIAIOSFODNN7EXAMPLE',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV',
  ])('%s', (value) => expect(looksLikeSecretValue(value)).toBe(true));

  it('leaves plain values alone', () => {
    for (const value of ['/usr/local/bin:/usr/bin', 'https://example.com/path', 'xterm', 'counter'])
      expect(looksLikeSecretValue(value)).toBe(false);
  });

  it('answers for an 8 MiB value (a crafted annotation once made the URL test quadratic: a hang)', () => {
    for (const ch of ['A', 'a', '-', 'a:', 'x://', 'Bearer '])
      expect(looksLikeSecretValue(ch.repeat((8 * 1024 * 1024) / ch.length))).toBe(false);
  });
});

describe('maskEnv', () => {
  it('masks by name and by value, and a whole entry without = that looks like a secret run together', () => {
    const env = [
      { name: 'DB_PASS', value: 'hunter2' },
      { name: 'MYSQL_PWD', value: 'hunter3' },
      { name: 'UPSTREAM', value: 'https://bot:tok3n@git.example/repo' },
      { name: 'SECRET_TOKENs3cr3t-busybox-42', value: '' },
      { name: 'HOSTNAME', value: 'counter' },
      { name: 'DEBUG', value: '' },
    ];
    expect(maskEnv(env, false)).toEqual([
      { name: 'DB_PASS', value: MASK, masked: true },
      { name: 'MYSQL_PWD', value: MASK, masked: true },
      { name: 'UPSTREAM', value: MASK, masked: true },
      { name: MASK, value: '', masked: true },
      { name: 'HOSTNAME', value: 'counter' },
      { name: 'DEBUG', value: '' },
    ]);
    expect(maskEnv(env, true)).toEqual(env);
    expect(isSecretEntry('SECRET_TOKENs3cr3t-busybox-42')).toBe(true);
  });
});
