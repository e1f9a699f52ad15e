import { describe, expect, it } from 'vitest';
import { parseKubeletArchiveName, splitNamespaceContainer } from './kubelet-name.js';

describe('kubelet archive names', () => {
  it('parses pod, namespace-container and the RFC3339 time with colons', () => {
    const n = parseKubeletArchiveName(
      '/var/lib/kubelet/checkpoints/checkpoint-cthreads_apps-server-2026-11-28T16:04:20Z.tar',
    )!;
    expect(n.pod).toBe('cthreads');
    expect(n.namespaceAndContainer).toBe('apps-server');
    expect(n.time.toISOString()).toBe('2026-11-28T16:04:20.000Z');
  });

  it('accepts zone offsets and dashes in pod, namespace and container names', () => {
    const n = parseKubeletArchiveName(
      'checkpoint-web-7d9f-abc_kube-system-side-car-2024-04-29T20:43:15+08:00.tar',
    )!;
    expect(n.pod).toBe('web-7d9f-abc');
    expect(n.time.toISOString()).toBe('2024-04-29T12:43:15.000Z');
    expect(splitNamespaceContainer(n.namespaceAndContainer, { container: 'side-car' })).toEqual({
      namespace: 'kube-system',
      container: 'side-car',
    });
    expect(splitNamespaceContainer(n.namespaceAndContainer, { namespace: 'kube-system' })).toEqual({
      namespace: 'kube-system',
      container: 'side-car',
    });
  });

  it('rejects names that are not kubelet checkpoints', () => {
    expect(parseKubeletArchiveName('backup.tar')).toBeUndefined();
    expect(parseKubeletArchiveName('checkpoint-pod_ns-c-yesterday.tar')).toBeUndefined();
  });
});
