/**
 * Why a restored pod did not start, in the words CRI-O, containerd, CRIU and the kubelet use
 * (docs/checkpoint-format.md §E.4, §E.5), and what to change.
 */
export interface RestoreHintContext {
  node: string;
  image: string;
  /** The image the checkpointed container ran on, which the runtime restores on top of. */
  baseImage?: string;
}

export function restoreHint(reason: string, message: string, ctx: RestoreHintContext): string {
  const text = `${reason} ${message}`;
  // containerd's words (CreateContainerError from its CRImportCheckpoint).
  if (/restore via CreateContainer is disabled|enable_experimental_restore_via_create/i.test(text)) {
    return `containerd on ${ctx.node} has restore in CreateContainer turned off: set enable_experimental_restore_via_create = true in its CRI runtime config and restart containerd (\`kcr setup containerd\` prints it)`;
  }
  if (/criu support is disabled by configuration/i.test(text)) {
    return `containerd on ${ctx.node} has CRIU turned off: set enable_criu = true in its CRI runtime config and restart containerd (\`kcr setup containerd\`)`;
  }
  if (/criu binary not found/i.test(text)) {
    return `${ctx.node} has no criu in containerd's PATH: install criu >= 3.16 there, or pick another --node`;
  }
  if (/failed to read "status\.dump"/i.test(text)) {
    return 'containerd restores only checkpoints that containerd made (they hold status.dump); a CRI-O checkpoint needs a CRI-O node';
  }
  if (/failed to read "(spec|config)\.dump"/i.test(text)) {
    return `${ctx.image} is no complete checkpoint image: its root lacks spec.dump or config.dump; rebuild it from the archive containerd wrote (\`kcr image build\`)`;
  }
  if (/error parsing reference: .* is not a valid repository\/tag/i.test(text)) {
    return "config.dump's rootfsImageName is no image reference containerd can tag the base image with: take a new checkpoint of a container started from a named image";
  }
  if (/checkpoint base image/i.test(text)) {
    return `containerd restores on top of the original image${ctx.baseImage ? ` ${ctx.baseImage}` : ''} and pulls it by the digest in config.dump when missing: ${ctx.node} must reach that registry (or have the image already)`;
  }
  if (/only regular files and directories/i.test(text)) {
    return 'containerd takes only regular files and directories from a checkpoint image: rebuild it from the archive containerd wrote (`kcr image build`)';
  }
  if (/no command specified/i.test(text)) {
    return `${ctx.node} ran ${ctx.image} as an ordinary image: containerd did not see org.criu.checkpoint.container.name on it, or restore in CreateContainer is off (\`kcr doctor\`)`;
  }
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
