/**
 * Defaults the CLI shows in its help. Kept apart from the modules that load
 * @kubernetes/client-node, so that `kcr --help` and the archive commands start fast.
 */
import { VERSION } from '../version.js';

export const DEFAULT_HELPER_IMAGE = `ghcr.io/kcr-project/kcr:${VERSION}`;

export const DEFAULT_KUBERNETES_VERSION = 'v1.31.4';
export const CRI_SOCKETS = {
  'cri-o': 'unix:///var/run/crio/crio.sock',
  containerd: 'unix:///run/containerd/containerd.sock',
} as const;
