import { describe, expect, it } from 'vitest';
import { runtimeInfo } from './versions.js';

describe('runtimeInfo', () => {
  it.each([
    ['cri-o://1.31.2', true],
    ['cri-o://1.25.0', true],
    ['cri-o://1.24.6', false],
    ['containerd://2.0.1', true],
    ['containerd://1.7.22', false],
    ['containerd://v2.1.0-rc.1', true],
    ['docker://24.0.7', false],
    ['', false],
  ])('%s supported: %s', (raw, supported) => {
    const info = runtimeInfo(raw);
    expect(info.supported).toBe(supported);
    if (!supported) expect(info.reason).toMatch(/CRI-O|containerd/);
  });
});
