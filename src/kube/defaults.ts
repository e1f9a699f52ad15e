/**
 * Defaults the CLI shows in its help. Kept apart from the modules that load
 * @kubernetes/client-node, so that `kcr --help` and the archive commands start fast.
 */

/**
 * The copy helper pod and the doctor's canary run this image; `--helper-image` (and
 * `--canary-image`) override it, e.g. with a mirror for clusters that cannot reach Docker Hub. It
 * must have sleep, stat (with -c %s), sha256sum and cat: busybox has all of them in 4 MiB. Fully
 * qualified, because CRI-O without unqualified-search registries refuses a short name.
 */
export const DEFAULT_HELPER_IMAGE = 'docker.io/library/busybox:1.36';

export const DEFAULT_KUBERNETES_VERSION = 'v1.31.4';
export const CRI_SOCKETS = {
  'cri-o': 'unix:///var/run/crio/crio.sock',
  containerd: 'unix:///run/containerd/containerd.sock',
} as const;
