/**
 * Why a restored pod did not start, in the words CRI-O, CRIU and the kubelet use
 * (docs/checkpoint-format.md §E.4), and what to change.
 */
export interface RestoreHintContext {
  node: string;
  image: string;
  /** The image the checkpointed container ran on, which CRI-O needs locally. */
  baseImage?: string;
}

export function restoreHint(reason: string, message: string, ctx: RestoreHintContext): string {
  const text = `${reason} ${message}`;
  if (/expects following bind mounts defined/i.test(text)) {
    return 'the Pod must mount every path the checkpointed container had mounted: restore from the archive with its .pod.json beside it, or add the listed mountPaths as volumes';
  }
  if (/image not known|failed to find image|RootfsImageRef|rootfs image/i.test(text)) {
    return `CRI-O restores on top of the original image${ctx.baseImage ? ` ${ctx.baseImage}` : ''}, which must already be on ${ctx.node} (it is never pulled during restore): pre-pull it there, e.g. with a pod that uses it`;
  }
  if (/checkpoint\/restore support not available|does not support checkpoint|check for CRIU/i.test(text)) {
    return `${ctx.node} cannot restore: install criu >= 3.16 and enable CRI-O's criu support (\`kcr setup crio\`), or pick another --node`;
  }
  if (/signature validation is not supported for container restore/i.test(text)) {
    return 'the namespace has a signature policy, which CRI-O does not support for restore; restore into another namespace (-n)';
  }
  if (/spec\.dump|config\.dump|io\.kubernetes\.cri-o\.Annotations/i.test(text)) {
    return 'CRI-O restores only checkpoints that CRI-O made; a containerd checkpoint needs a containerd node';
  }
  if (/criu failed|container restore failed|restore\.log/i.test(text)) {
    return `CRIU could not restore on ${ctx.node}: the node needs the same CPU architecture and compatible kernel and CPU features; read restore.log in the container's directory there`;
  }
  if (/ErrImagePull|ImagePullBackOff|pull/i.test(text)) {
    return `${ctx.node} cannot pull ${ctx.image}: check that the node reaches the registry, trusts its certificate (or lists it as insecure in /etc/containers/registries.conf), and has an imagePullSecret if it is private`;
  }
  if (/CrashLoopBackOff/i.test(text)) {
    return 'the restored process exits; look at `kubectl logs --previous` for the pod';
  }
  return 'see `kubectl describe pod` for the pod and the kubelet log on the node';
}
