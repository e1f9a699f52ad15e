/**
 * `--encrypt-to` and `--identity`, shared by every command that encrypts or decrypts: a recipient is
 * given inline (`age1…`, `ssh-ed25519 AAAA…`) or as a file (an age recipients file, an ssh `.pub`,
 * or a PEM public key for images, also as skopeo's `jwe:FILE`); an identity is always a file.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Store, StreamEncryption } from '../backup/index.js';
import { KcrError, errnoCode, fileError } from '../errors.js';

const collect = (value: string, acc: string[]) => [...acc, value];

export function addEncryptToFlag(cmd: Command, what: string): Command {
  return cmd.option('--encrypt-to <recipient>', what, collect, [] as string[]);
}

export function addIdentityFlag(cmd: Command, what: string): Command {
  return cmd.option('--identity <key-file>', what, collect, [] as string[]);
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') {
      throw new KcrError('not-found', `${path}: no such key file`, {
        hint: 'give a recipient inline (age1…, "ssh-ed25519 …") or the path of a key file',
        cause: err,
      });
    }
    throw fileError(path, err, 'cannot read the key file');
  }
}

/** Inline age/ssh recipients as they are; files expanded to their recipient lines (as `age -R` reads them). */
export async function ageRecipients(values: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const value of values) {
    if (/^(age1|ssh-)/i.test(value.trim())) {
      out.push(value.trim());
      continue;
    }
    const lines = (await readKeyFile(value)).split('\n').map((l) => l.trim());
    out.push(...lines.filter((l) => l !== '' && !l.startsWith('#')));
  }
  return out;
}

/** How a backup is encrypted: age for file:// and s3:// stores, an ocicrypt image for oci:// ones. */
export interface BackupEncryption {
  encryption?: { cipher: StreamEncryption; recipients: string[] };
  ocicryptTo?: KeyObject[];
}

/**
 * `--encrypt-to` for the backup commands, as the store keeps it: age recipients (`age1…`, ssh keys)
 * for file:// and s3:// stores, public key files (PEM, `jwe:FILE`) for an oci:// store's ocicrypt
 * images. Parsed once the store is known and before any byte is read or checkpointed.
 */
export async function backupEncryptionFlags(
  store: Store,
  values: readonly string[],
): Promise<BackupEncryption> {
  if (values.length === 0) return {};
  if (store.encryptsImages) return { ocicryptTo: await imageRecipients(values) };
  const recipients = await ageRecipients(values);
  const { ageEncryption, parseAgeRecipients } = await import('../backup/index.js');
  parseAgeRecipients(recipients);
  return { encryption: { cipher: ageEncryption, recipients } };
}

/** The texts of the identity files, in order (the library parses and names them). */
export async function identityTexts(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map(readKeyFile));
}

/** Public keys for an encrypted image: PEM or JWK files, `jwe:FILE` accepted as skopeo writes it. */
export async function imageRecipients(values: readonly string[]): Promise<KeyObject[]> {
  const { parseOcicryptRecipient } = await import('../oci/index.js');
  return Promise.all(
    values.map(async (value) => {
      const path = value.replace(/^jwe:/, '');
      return parseOcicryptRecipient(await readKeyFile(path), path);
    }),
  );
}

/** Private keys that open an encrypted image. */
export async function imageIdentities(paths: readonly string[]): Promise<KeyObject[]> {
  const { parseOcicryptIdentity } = await import('../oci/index.js');
  return Promise.all(paths.map(async (path) => parseOcicryptIdentity(await readKeyFile(path), path)));
}
