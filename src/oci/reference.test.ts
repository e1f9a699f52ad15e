import { describe, expect, it } from 'vitest';
import { KcrError } from '../errors.js';
import { parseLayoutReference, parseReference, registryApiHost } from './reference.js';

describe('parseReference', () => {
  it.each([
    ['127.0.0.1:5000/checkpoints/counter:v1', '127.0.0.1:5000', 'checkpoints/counter', 'v1', undefined],
    ['localhost/counter', 'localhost', 'counter', 'latest', undefined],
    ['docker://quay.io/org/app:1.2', 'quay.io', 'org/app', '1.2', undefined],
    ['busybox', 'docker.io', 'library/busybox', 'latest', undefined],
    ['user/app:tag', 'docker.io', 'user/app', 'tag', undefined],
    [`r.example/a/b@sha256:${'a'.repeat(64)}`, 'r.example', 'a/b', undefined, `sha256:${'a'.repeat(64)}`],
  ])('reads %s as registry, repository, tag and digest', (input, registry, repository, tag, digest) => {
    const ref = parseReference(input);
    expect(ref).toMatchObject({ registry, repository });
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
  });

  it.each(['Upper/Case:v1', 'host:5000/repo:bad tag', 'host/repo@sha256:short', 'host/repo//x'])(
    'rejects %s with a usage error naming the input',
    (input) => {
      let caught: unknown;
      try {
        parseReference(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(KcrError);
      expect((caught as KcrError).code).toBe('usage');
      expect((caught as KcrError).message).toContain(input);
    },
  );

  it('talks to Docker Hub on its API host', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });
});

describe('parseLayoutReference', () => {
  it('splits oci:DIR:NAME and leaves plain references alone', () => {
    expect(parseLayoutReference('oci:/tmp/layout:v1')).toEqual({ dir: '/tmp/layout', tag: 'v1' });
    expect(parseLayoutReference('oci:/tmp/layout')).toEqual({ dir: '/tmp/layout' });
    expect(parseLayoutReference('127.0.0.1:5000/a:b')).toBeUndefined();
  });
});
