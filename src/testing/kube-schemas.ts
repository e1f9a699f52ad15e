/**
 * The Kubernetes OpenAPI schemas of the oldest and newest versions kcr supports, as kubernetes-models
 * compiles them (4.1.0 is generated from Kubernetes 1.25, 4.5.1 from 1.33; pinned in package.json
 * under these aliases): whether an object is valid Kubernetes of that version.
 */
export const SCHEMA_VERSIONS = {
  '1.25': 'kubernetes-models-1.25',
  '1.33': 'kubernetes-models-1.33',
} as const;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

interface TypedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

async function modelFor(pkg: string, apiVersion: string, kind: string): Promise<ModelClass> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`;
  const mod = (await import(path)) as Record<string, ModelClass>;
  return mod[kind]!;
}

/** Undefined when `o` is valid for the schemas of `pkg`, else `Kind/name: what is wrong`. */
export async function schemaProblem(pkg: string, o: TypedObject): Promise<string | undefined> {
  const Model = await modelFor(pkg, o.apiVersion, o.kind);
  try {
    new Model(o).validate();
    return undefined;
  } catch (err) {
    return `${o.kind}/${o.metadata.name}: ${(err as Error).message}`;
  }
}
