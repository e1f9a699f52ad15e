/**
 * The hook between backups and encryption: a backup's archive passes through `encrypt` on its way
 * into a `file://` or `s3://` store and through `decrypt` on its way out. The stores only ever see
 * the bytes that come out of `encrypt`; the record keeps the recipients (public, so a store alone
 * tells who can read a backup) and never an identity.
 *
 * `oci://` stores do not use this stream hook for public keys: an encrypted OCI backup is an
 * ocicrypt image, built and opened in `src/oci/` (the layer is encrypted as a whole, with
 * JWE-wrapped keys in the layer's annotations); backupArchive's `ocicryptTo` hands the keys to the
 * OCI store (PutOptions.encryptTo).
 */
import type { Readable } from 'node:stream';

/** The formats a backup record can name; `age` for file and S3 stores, `ocicrypt` for OCI stores. */
export type EncryptionFormat = 'age' | 'ocicrypt';

export interface EncryptOptions {
  signal?: AbortSignal;
}

/**
 * A stream cipher for whole archives. Both directions stream (memory stays flat for GiB archives)
 * and fail by destroying the returned stream with a `KcrError`: `invalid-input` for a recipient or
 * identity that does not parse, `auth` when no identity opens the data (the wrong key), and
 * `integrity` when the ciphertext is damaged or cut short.
 */
export interface StreamEncryption {
  readonly format: Exclude<EncryptionFormat, 'ocicrypt'>;
  /**
   * `recipients` as the user gives them to `--encrypt-to`: age X25519 (`age1…`), `ssh-ed25519 …`
   * or `ssh-rsa …` public keys.
   */
  encrypt(plaintext: Readable, recipients: readonly string[], options?: EncryptOptions): Readable;
  /**
   * The same for a local file, which a cipher may read faster than any stream delivers it (reused
   * buffers, no stream stage before it); `onPlaintext` sees every plaintext byte, in order, so a
   * caller hashes the plaintext without a second pass. Optional: callers fall back to `encrypt`.
   */
  encryptFile?(
    path: string,
    recipients: readonly string[],
    options?: EncryptOptions & { onPlaintext?: (block: Buffer) => void },
  ): Readable;
  /**
   * `identities` are the contents of identity files (as `--identity FILE` reads them): age secret
   * keys (`AGE-SECRET-KEY-1…`, one per line, `#` comments allowed) or unencrypted OpenSSH
   * private keys.
   */
  decrypt(ciphertext: Readable, identities: readonly string[], options?: EncryptOptions): Readable;
}
