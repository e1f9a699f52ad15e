import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, SpecDump } from '../archive/index.js';
import { restoreManifests } from './restore-manifest.js';

const info: CheckpointInfo = { engine: 'cri-o', container: 'app', pod: 'shop', namespace: 'store' };
const POD = '/var/lib/kubelet/pods/0d2c';
const spec: SpecDump = {
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/etc/hosts', type: 'bind', source: `${POD}/etc-hosts` },
    { destination: '/dev/termination-log', type: 'bind', source: `${POD}/containers/app/4c1e` },
    {
      destination: '/var/run/secrets/kubernetes.io/serviceaccount',
      type: 'bind',
      source: `${POD}/volumes/kubernetes.io~projected/kube-api-access-x7k2p`,
      options: ['ro'],
    },
    { destination: '/cache', type: 'bind', source: `${POD}/volumes/kubernetes.io~empty-dir/cache` },
    {
      destination: '/etc/app',
      type: 'bind',
      source: `${POD}/volumes/kubernetes.io~configmap/settings`,
      options: ['ro'],
    },
    { destination: '/host/logs', type: 'bind', source: '/var/log/app' },
  ],
  annotations: {
    'io.kubernetes.cri-o.Labels': JSON.stringify({ 'io.kubernetes.pod.name': 'shop', team: 'payments' }),
    'io.kubernetes.cri-o.Annotations': JSON.stringify({
      'io.kubernetes.container.ports': '[{"containerPort":8443,"protocol":"TCP","name":"https"}]',
    }),
    'io.kubernetes.cri-o.Volumes': JSON.stringify([
      { container_path: '/host/logs', host_path: '/var/log/app', readonly: true },
    ]),
  },
};

describe('restoreManifests from spec.dump', () => {
  const { pod, warnings } = restoreManifests({
    info,
    spec,
    image: 'reg/ckpt@sha256:ab',
    node: 'n2',
    expose: [8443],
  });

  it('mounts every volume again, by the kind of volume its host path shows', () => {
    expect(pod.spec?.volumes).toEqual([
      { name: 'cache', emptyDir: {} },
      { name: 'settings', emptyDir: {} },
      { name: 'host-6', hostPath: { path: '/var/log/app' } },
    ]);
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'cache', mountPath: '/cache' },
      { name: 'settings', mountPath: '/etc/app', readOnly: true },
      { name: 'host-6', mountPath: '/host/logs', readOnly: true },
    ]);
  });

  it('leaves kubelet-provided files and the service account token to the kubelet', () => {
    expect(pod.spec?.automountServiceAccountToken).toBeUndefined();
    expect(pod.spec?.containers[0]?.terminationMessagePath).toBe('/dev/termination-log');
  });

  it('warns that a configMap volume comes back empty', () => {
    expect(warnings).toEqual([expect.stringContaining('/etc/app was a configmap volume (settings)')]);
  });

  it('keeps ports, user labels, and pins the pod to the node', () => {
    expect(pod.spec?.containers[0]?.ports).toEqual([{ containerPort: 8443, protocol: 'TCP', name: 'https' }]);
    expect(pod.metadata?.labels).toEqual({
      team: 'payments',
      'kcr.dev/restored-from': 'shop',
      'kcr.dev/restore': 'shop',
    });
    expect(pod.metadata?.namespace).toBe('store');
    expect(pod.spec?.nodeName).toBe('n2');
  });
});

describe('restoreManifests from a saved Pod', () => {
  const saved: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'shop-7d4f9-x2x9q',
      namespace: 'store',
      uid: 'old-uid',
      resourceVersion: '42',
      labels: { app: 'shop', 'pod-template-hash': '7d4f9' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'shop-7d4f9', uid: 'rs', controller: true },
      ],
    },
    spec: {
      nodeName: 'n1',
      containers: [
        { name: 'app', image: 'shop:1' },
        { name: 'proxy', image: 'envoy:1' },
      ],
      ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
      priorityClassName: 'high',
      priority: 1000,
      schedulingGates: [{ name: 'example.com/wait' }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'shop-data' } }],
    },
    status: { phase: 'Running' },
  };
  const { pod, warnings } = restoreManifests({
    info,
    spec,
    savedPod: saved,
    image: 'reg/ckpt@sha256:ab',
    node: 'n2',
  });

  it("replaces only the checkpointed container's image", () => {
    expect(pod.spec?.containers.map((c) => c.image)).toEqual(['reg/ckpt@sha256:ab', 'envoy:1']);
  });

  it('drops what would make a controller adopt it or the API server refuse it', () => {
    expect(pod.metadata).toEqual({
      name: 'shop-7d4f9-x2x9q',
      namespace: 'store',
      labels: {
        app: 'shop',
        'kcr.dev/restored-from': 'shop-7d4f9-x2x9q',
        'kcr.dev/restore': 'shop-7d4f9-x2x9q',
      },
      annotations: { 'kcr.dev/checkpoint-image': 'reg/ckpt@sha256:ab' },
    });
    expect(pod.spec?.ephemeralContainers).toBeUndefined();
    expect(pod.spec?.schedulingGates).toBeUndefined();
    expect(pod.spec?.priority).toBeUndefined();
    expect(pod.spec?.priorityClassName).toBe('high');
    expect(pod.status).toBeUndefined();
    expect(pod.spec?.nodeName).toBe('n2');
  });

  it('warns about a claim that may still be attached to the original node', () => {
    expect(warnings).toEqual([expect.stringContaining('volume data is the claim shop-data')]);
  });

  it('refuses a saved Pod without the checkpointed container', () => {
    expect(() =>
      restoreManifests({
        info: { ...info, container: 'other' },
        spec,
        savedPod: saved,
        image: 'i',
        node: 'n2',
      }),
    ).toThrow('has no container "other"');
  });
});
