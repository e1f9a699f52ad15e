/**
 * The CPU architecture a checkpoint was dumped on, from the CRIU core image's `mtype`, named
 * the way OCI image configs name it (Go's GOARCH). Restores only work on the same architecture.
 */
import { decodeEntries } from './image.js';
import { coreEntry, coreEntryMarch } from './messages/core.js';

const GOARCH: Record<string, string> = {
  X86_64: 'amd64',
  ARM: 'arm',
  AARCH64: 'arm64',
  PPC64: 'ppc64le',
  S390: 's390x',
  MIPS: 'mips64le',
  LOONGARCH64: 'loong64',
  RISCV64: 'riscv64',
};

/** Maps a decoded `core_entry.mtype` to the OCI architecture name, or undefined when unknown. */
export function ociArchitecture(mtype: number | undefined): string | undefined {
  if (mtype === undefined) return undefined;
  const name = coreEntryMarch.byNumber.get(mtype);
  return name ? GOARCH[name] : undefined;
}

/** Architecture from the bytes of any `core-<tid>.img`. */
export function architectureFromCoreImage(buf: Uint8Array, name = 'core.img'): string | undefined {
  const [core] = decodeEntries(buf, name, coreEntry);
  return ociArchitecture(core?.mtype);
}
