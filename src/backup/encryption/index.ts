/** Encryption of backups: age streams for file:// and s3:// stores (ocicrypt images live in oci/). */
export type { EncryptionFormat, EncryptOptions, StreamEncryption } from './types.js';
export {
  ageEncryption,
  createAgeDecryptStream,
  createAgeEncryptStream,
  parseAgeIdentities,
  parseAgeRecipient,
  parseAgeRecipients,
  type AgeIdentity,
  type AgeRecipient,
} from './age.js';
export { generateX25519Identity } from './age-x25519.js';
