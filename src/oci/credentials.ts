/**
 * Registry credentials, looked up the way Docker and Podman do: an explicit username and password,
 * then the auth file named by --authfile or REGISTRY_AUTH_FILE, then Podman's and Docker's default
 * files. In a file, `credHelpers[registry]` wins, then `auths[registry]`, then `credsStore`.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { KcrError, errnoCode, fileError } from '../errors.js';
import { parseJsonText, validate } from '../util/validate.js';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for error messages. */
  source: string;
}

export interface CredentialOptions {
  username?: string;
  password?: string;
  authFile?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * An auth file as Docker and Podman write it. Entries are checked one by one where they are used
 * (a malformed entry for another registry must not stop a push), the file's outline here.
 */
const authFileSchema = z.looseObject({
  auths: z.record(z.string(), z.unknown()).optional(),
  credHelpers: z.record(z.string(), z.unknown()).optional(),
  credsStore: z.unknown().optional(),
});
type AuthFile = z.output<typeof authFileSchema>;

const authEntrySchema = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});

/** What `docker-credential-<helper> get` prints. */
const helperAnswerSchema = z.looseObject({ Username: z.string().optional(), Secret: z.string().optional() });

/** The keys a registry may be stored under (`docker login` writes Docker Hub's legacy URL). */
function authKeys(registry: string): string[] {
  if (registry === 'docker.io')
    return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
  ];
}

function candidateFiles(options: CredentialOptions): { path: string; required: boolean }[] {
  const env = options.env ?? process.env;
  if (options.authFile) return [{ path: options.authFile, required: true }];
  const files: { path: string; required: boolean }[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push({ path: env.REGISTRY_AUTH_FILE, required: true });
  if (env.XDG_RUNTIME_DIR)
    files.push({ path: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), required: false });
  const home = env.HOME || homedir();
  files.push({ path: join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'), required: false });
  return files;
}

async function readAuthFile(path: string, required: boolean): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && errnoCode(err) === 'ENOENT') return undefined;
    throw fileError(path, err);
  }
  const parsed = parseJsonText(text, { what: path, hint: 'the auth file is not valid JSON' });
  return validate(authFileSchema, parsed, {
    what: path,
    hint: 'an auth file looks like {"auths": {"REGISTRY": {"auth": "BASE64(user:password)"}}}',
  });
}

/** Runs `docker-credential-<helper> get`, which reads the server on stdin and prints `{Username, Secret}`. */
export async function runCredentialHelper(
  helper: string,
  server: string,
  env?: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(program, ['get'], { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let errText = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: errText }));
      // A helper may exit without reading its stdin: the EPIPE is not ours to throw (its answer says what went wrong).
      child.stdin.on('error', () => undefined);
      child.stdin.end(server);
    },
  ).catch((err: unknown) => {
    throw new KcrError('auth', `${program}: cannot run: ${(err as Error).message.toLowerCase()}`, {
      hint: `install ${program} or remove "${helper}" from your auth file`,
      cause: err,
    });
  });
  if (code !== 0) {
    // Helpers print "credentials not found in native keychain" when they have nothing: that is anonymous access.
    if (/not found/i.test(stdout + stderr)) return undefined;
    const said = (stdout + stderr).trim().split('\n')[0]?.toLowerCase();
    throw new KcrError('auth', `${program}: failed for ${server} (exit ${code})${said ? `: ${said}` : ''}`, {
      hint: `check the helper: \`echo ${server} | ${program} get\` should print {"Username": …, "Secret": …}`,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    throw new KcrError(
      'invalid-input',
      `${program}: printed something other than JSON for ${server} (${(err as Error).message.toLowerCase()})`,
      {
        hint: `check the helper: \`echo ${server} | ${program} get\` should print {"Username": …, "Secret": …}`,
      },
    );
  }
  // Without a usable Secret the helper has nothing for this registry: anonymous access.
  const checked = helperAnswerSchema.safeParse(parsed);
  const answer = checked.success ? checked.data : {};
  if (!answer.Secret) return undefined;
  return { username: answer.Username ?? '', password: answer.Secret, source: program };
}

function decodeAuth(value: unknown, path: string): Credentials | undefined {
  const parsed = authEntrySchema.safeParse(value);
  if (!parsed.success) return undefined;
  const entry = parsed.data;
  if (
    typeof entry.username === 'string' &&
    entry.username &&
    typeof entry.password === 'string' &&
    entry.password
  )
    return { username: entry.username, password: entry.password, source: path };
  if (typeof entry.auth !== 'string' || !entry.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) throw new KcrError('invalid-input', `${path}: the stored auth is not user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1), source: path };
}

async function fromFile(
  file: AuthFile,
  path: string,
  registry: string,
  env?: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const keys = authKeys(registry);
  const helper = keys
    .map((k) => file.credHelpers?.[k])
    .find((h): h is string => typeof h === 'string' && h !== '');
  if (helper) return runCredentialHelper(helper, keys[0]!, env);
  for (const key of keys) {
    const creds = decodeAuth(file.auths?.[key], path);
    if (creds) return creds;
  }
  if (typeof file.credsStore === 'string' && file.credsStore)
    return runCredentialHelper(file.credsStore, keys[0]!, env);
  return undefined;
}

/** Credentials for `registry`, or undefined for anonymous access. */
export async function resolveCredentials(
  registry: string,
  options: CredentialOptions = {},
): Promise<Credentials | undefined> {
  if (options.username !== undefined || options.password !== undefined) {
    if (!options.username || options.password === undefined) {
      throw new KcrError('usage', 'a username needs a password and a password needs a username', {
        hint: 'pass --username NAME and the password on stdin with --password-stdin',
      });
    }
    return { username: options.username, password: options.password, source: '--username' };
  }
  for (const { path, required } of candidateFiles(options)) {
    const file = await readAuthFile(path, required);
    if (!file) continue;
    const creds = await fromFile(file, path, registry, options.env);
    if (creds) return creds;
  }
  return undefined;
}
