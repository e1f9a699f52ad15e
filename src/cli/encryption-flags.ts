/**
 * `--encrypt-to` and `--identity`, shared by every command that encrypts or decrypts: a recipient is
 * given inline (`age1…`, `ssh-ed25519 AAAA…`) or as a file (an age recipients file, an ssh `.pub`,
 * or a PEM public key for images, also as skopeo's `jwe:FILE`); an identity is always a file.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { BackupEncryption, RecipientText, Store } from '../backup/index.js';
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

/**
 * `--encrypt-to` for the backup commands: each value an inline recipient (`age1…`, an ssh public
 * key line) or a key file (an age recipients file, an ssh `.pub`, a PEM or JWK public key, also as
 * skopeo's `jwe:FILE`). The store decides what it keeps (backup's storeEncryption: age for file://
 * and s3://, an ocicrypt image for oci://) and refuses a recipient it cannot use, before any byte
 * is read or checkpointed.
 */
export async function backupEncryptionFlags(
  store: Store,
  values: readonly string[],
): Promise<BackupEncryption> {
  if (values.length === 0) return {};
  const { recipientKind, storeEncryption } = await import('../backup/store-encryption.js');
  const texts: RecipientText[] = [];
  for (const value of values) {
    if (/^(age1|ssh-)/i.test(value.trim())) {
      texts.push({ text: value.trim() });
      continue;
    }
    const path = value.replace(/^jwe:/, '');
    const text = await readKeyFile(path);
    if (recipientKind(text) === 'public-key') {
      texts.push({ text, source: path });
      continue;
    }
    const lines = text.split('\n').map((l) => l.trim());
    texts.push(
      ...lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => ({ text: l, source: path })),
    );
  }
  return storeEncryption(store, texts);
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
