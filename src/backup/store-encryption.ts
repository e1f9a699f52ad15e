/**
 * Which encryption a backup gets, decided by the store it goes to: `file://` and `s3://` stores
 * keep age ciphertext (recipients `age1…`, `ssh-ed25519 …`, `ssh-rsa …`), an `oci://` store keeps
 * an ocicrypt checkpoint image (recipients are RSA or EC public keys, PEM or JWK), which a node and
 * skopeo open with the private key. `kcr backup --encrypt-to`, `kcr backup POD` and the node agent
 * (a Checkpoint's `spec.encryption.recipients`) all come through here, so a recipient the store
 * cannot use is refused the same way everywhere, before anything is checkpointed or read.
 */
import type { KeyObject } from 'node:crypto';
import { KcrError } from '../errors.js';
import { parseOcicryptRecipient } from '../oci/index.js';
import { ageEncryption, parseAgeRecipients, type StreamEncryption } from './encryption/index.js';
import type { Store } from './stores/store.js';

/** The options `backupArchive` (and `backupPods`) take to encrypt: age, or an ocicrypt image. */
export interface BackupEncryption {
  encryption?: { cipher: StreamEncryption; recipients: string[] };
  ocicryptTo?: KeyObject[];
}

export type RecipientKind = 'age' | 'public-key';

/** A recipient's text, as given inline or read from a key file. */
export interface RecipientText {
  text: string;
  /** Where it came from (a file path, `spec.encryption.recipients[0]`), for messages. */
  source?: string;
}

/** `age1…` and ssh public key lines are age recipients; PEM and JWK public keys are for images. */
export function recipientKind(text: string): RecipientKind {
  const t = text.trim();
  if (t.startsWith('-----BEGIN') || t.startsWith('{')) return 'public-key';
  return 'age';
}

/** A recipient named in a message without its whole text (a PEM key is many lines). */
function shortName(r: RecipientText): string {
  if (r.source) return r.source;
  const t = r.text.trim();
  return recipientKind(t) === 'public-key'
    ? 'a PEM/JWK public key'
    : `"${t.length > 24 ? `${t.slice(0, 24)}…` : t}"`;
}

/**
 * The encryption `store` keeps for these recipients, every one of them parsed; a recipient of a
 * kind the store cannot use is a `usage` error naming the store, the recipient and what it takes.
 * No recipients: no encryption.
 */
export function storeEncryption(
  store: Pick<Store, 'url' | 'encryptsImages'>,
  recipients: readonly RecipientText[],
): BackupEncryption {
  if (recipients.length === 0) return {};
  const wanted: RecipientKind = store.encryptsImages ? 'public-key' : 'age';
  const wrong = recipients.find((r) => recipientKind(r.text) !== wanted);
  if (wrong) {
    throw store.encryptsImages
      ? new KcrError(
          'usage',
          `${store.url} keeps encrypted backups as ocicrypt images, which ${shortName(wrong)} (an age recipient) cannot open`,
          {
            hint: 'encrypt to an RSA or EC public key in PEM form (openssl pkey -in KEY.pem -pubout) for oci:// stores, or store age-encrypted backups in a file:// or s3:// store',
          },
        )
      : new KcrError(
          'usage',
          `${store.url} keeps age-encrypted backups, and ${shortName(wrong)} is a public key for ocicrypt images`,
          {
            hint: 'encrypt to age recipients (age1…, ssh-ed25519 …, ssh-rsa …) for file:// and s3:// stores, or store ocicrypt images in an oci:// store',
          },
        );
  }
  if (store.encryptsImages) {
    return { ocicryptTo: recipients.map((r) => parseOcicryptRecipient(r.text, r.source ?? 'recipient')) };
  }
  const texts = recipients.map((r) => r.text.trim());
  parseAgeRecipients(texts);
  return { encryption: { cipher: ageEncryption, recipients: texts } };
}
