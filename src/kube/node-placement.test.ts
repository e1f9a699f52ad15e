import type { V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { placementOn } from './node-placement.js';

const labels = { 'kubernetes.io/hostname': 'n2', disktype: 'ssd', zone: 'b' };
const target = { name: 'n2', labels };
const containers = [{ name: 'app' }];
const hostPin = { 'kubernetes.io/hostname': 'n1' };
const required = (...matchExpressions: object[]) => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] },
  },
});

describe('placementOn', () => {
  it('keeps everything when the pod goes back to its own node', () => {
    const spec: V1PodSpec = { containers, nodeSelector: { gpu: 'yes' } };
    expect(placementOn(spec, 'n2', target)).toEqual({ nodeSelector: { gpu: 'yes' }, warnings: [] });
  });

  it('keeps constraints the new node meets', () => {
    const spec: V1PodSpec = {
      containers,
      nodeSelector: { disktype: 'ssd' },
      affinity: required({ key: 'zone', operator: 'In', values: ['a', 'b'] }) as V1PodSpec['affinity'],
    };
    expect(placementOn(spec, 'n1', target)).toEqual({
      nodeSelector: spec.nodeSelector,
      affinity: spec.affinity,
      warnings: [],
    });
  });

  it('drops a nodeSelector pin on the old hostname, with a warning, and keeps the rest', () => {
    const spec: V1PodSpec = { containers, nodeSelector: { ...hostPin, disktype: 'ssd' } };
    const p = placementOn(spec, 'n1', target);
    expect(p.nodeSelector).toEqual({ disktype: 'ssd' });
    expect(p.warnings).toEqual([
      'the saved pod was pinned to n1 (kubernetes.io/hostname=n1); that pin is dropped for n2',
    ]);
  });

  it('drops node affinity that names the old node (hostname or metadata.name), keeping pod affinity', () => {
    const podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: [] };
    const spec: V1PodSpec = {
      containers,
      affinity: {
        ...required({ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }),
        podAntiAffinity,
      } as V1PodSpec['affinity'],
    };
    const p = placementOn(spec, 'n1', target);
    expect(p.affinity).toEqual({ podAntiAffinity });
    expect(p.warnings).toEqual([expect.stringContaining('pinned to n1 (kubernetes.io/hostname=n1)')]);
    const byName: V1PodSpec = {
      containers,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
          },
        },
      },
    };
    expect(placementOn(byName, 'n1', target).affinity).toBeUndefined();
  });

  it.each([
    [{ nodeSelector: { gpu: 'yes' } }, 'gpu=yes', '`kubectl get nodes -l gpu=yes`'],
    [{ affinity: required({ key: 'zone', operator: 'NotIn', values: ['b'] }) }, 'zone NotIn (b)', 'label n2'],
    [{ affinity: required({ key: 'cores', operator: 'Gt', values: ['8'] }) }, 'cores Gt (8)', 'label n2'],
  ])('fails early when the new node lacks what the pod requires: %j', (extra, unmet, hint) => {
    const spec = { containers, ...extra } as V1PodSpec;
    expect(() => placementOn(spec, 'n1', target)).toThrow(
      `node n2 does not match the saved pod's node constraints: ${unmet}`,
    );
    try {
      placementOn(spec, 'n1', target);
    } catch (err) {
      expect((err as { hint?: string }).hint).toContain(hint);
    }
  });

  it('drops all node constraints with a warning when the new node’s labels are unknown (dry run)', () => {
    const spec: V1PodSpec = {
      containers,
      nodeSelector: { ...hostPin },
      affinity: required() as V1PodSpec['affinity'],
    };
    const p = placementOn(spec, 'n1', { name: 'n2' });
    expect(p.nodeSelector).toBeUndefined();
    expect(p.affinity).toBeUndefined();
    expect(p.warnings).toEqual([expect.stringContaining('kubernetes.io/hostname=n1, nodeAffinity')]);
  });
});
