import { describe, expect, it } from 'vitest';
import { restoreHint } from './restore-hints.js';

const ctx = { node: 'ctrd-1', image: 'reg.example/ckpt@sha256:abc', baseImage: 'reg.example/app:1' };

describe("hints for containerd's restore errors (CreateContainerError)", () => {
  it.each([
    [
      'checkpoint restore via CreateContainer is disabled by configuration',
      /containerd on ctrd-1 has restore in CreateContainer turned off: set enable_experimental_restore_via_create = true/,
    ],
    ['CRIU support is disabled by configuration', /has CRIU turned off: set enable_criu = true/],
    ['criu binary not found in $PATH', /ctrd-1 has no criu in containerd's PATH/],
    [
      'failed to read "status.dump": open /tmp/checkpoint123/status.dump: no such file or directory',
      /containerd restores only checkpoints that containerd made .* a CRI-O checkpoint needs a CRI-O node/,
    ],
    [
      'failed to read "config.dump": open /tmp/checkpoint123/config.dump: no such file or directory',
      /is no complete checkpoint image: its root lacks spec\.dump or config\.dump/,
    ],
    [
      'error parsing reference: "" is not a valid repository/tag invalid reference format',
      /rootfsImageName is no image reference containerd can tag/,
    ],
    [
      'failed to pull checkpoint base image reg.example/app@sha256:def: not found',
      /pulls it by the digest in config\.dump when missing: ctrd-1 must reach that registry/,
    ],
    [
      'unsupported file type for checkpoint/link: only regular files and directories can be restored',
      /containerd takes only regular files and directories/,
    ],
    [
      'failed to generate container spec: no command specified',
      /ran reg\.example\/ckpt@sha256:abc as an ordinary image: containerd did not see org\.criu\.checkpoint\.container\.name/,
    ],
  ])('%s', (message, hint) => {
    expect(restoreHint('CreateContainerError', message, ctx)).toMatch(hint);
  });

  it("keeps CRI-O's own hint for CRI-O's words", () => {
    expect(restoreHint('CreateContainerError', 'image not known', ctx)).toMatch(/^CRI-O restores on top of/);
  });
});
