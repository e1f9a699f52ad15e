/**
 * The kubelet names archives `checkpoint-<pod>_<namespace>-<container>-<RFC3339>.tar`, where the
 * time is Go's time.RFC3339 in the kubelet's zone (it contains colons). Pod names cannot hold `_`,
 * so the pod ends at the first `_`; namespace and container are both DNS labels joined by `-`,
 * which is ambiguous, so callers that can read the archive should prefer its metadata.
 */
export interface KubeletArchiveName {
  pod: string;
  /** `<namespace>-<container>` as written; split by `splitNamespaceContainer` when needed. */
  namespaceAndContainer: string;
  /** The timestamp as written, and as a Date. */
  timestamp: string;
  time: Date;
}

const NAME =
  /^checkpoint-([^_]+)_(.+)-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\.tar(?:\.(?:gz|zst))?$/;

export function parseKubeletArchiveName(fileName: string): KubeletArchiveName | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const m = NAME.exec(base);
  if (!m) return undefined;
  const time = new Date(m[3]!);
  if (Number.isNaN(time.getTime())) return undefined;
  return { pod: m[1]!, namespaceAndContainer: m[2]!, timestamp: m[3]!, time };
}

/** Splits `<namespace>-<container>` given one of the two (from the archive's metadata). */
export function splitNamespaceContainer(
  joined: string,
  known: { namespace?: string; container?: string },
): { namespace: string; container: string } | undefined {
  if (known.namespace && joined.startsWith(known.namespace + '-')) {
    return { namespace: known.namespace, container: joined.slice(known.namespace.length + 1) };
  }
  if (known.container && joined.endsWith('-' + known.container)) {
    return { namespace: joined.slice(0, -known.container.length - 1), container: known.container };
  }
  return undefined;
}
