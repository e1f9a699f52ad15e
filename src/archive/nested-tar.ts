/**
 * A tar stored as a member of the checkpoint archive (rootfs-diff.tar), indexed and read by
 * offset inside the outer file, never copied out.
 */
import type { Readable } from 'node:stream';
import { KcrError } from '../errors.js';
import type { CheckpointArchive } from './archive.js';
import { indexTar, type TarMember } from './tar-index.js';

export class NestedTar {
  private readonly byName: Map<string, TarMember>;

  private constructor(
    readonly archive: CheckpointArchive,
    readonly memberName: string,
    readonly members: readonly TarMember[],
  ) {
    this.byName = new Map(members.map((m) => [m.name, m]));
  }

  /** Indexes `memberName`; unsafe names are kept and flagged, so listings can show them. */
  static async open(archive: CheckpointArchive, memberName: string): Promise<NestedTar> {
    const outer = archive.require(memberName);
    const members = await indexTar(
      (position, length) => archive.readRange(memberName, position, length),
      outer.size,
      `${archive.path}:${memberName}`,
      { keepUnsafeNames: true },
    );
    return new NestedTar(archive, memberName, members);
  }

  member(name: string): TarMember | undefined {
    return this.byName.get(name.replace(/^\/+/, ''));
  }

  require(name: string): TarMember {
    const member = this.member(name);
    if (!member) {
      throw new KcrError('not-found', `${this.memberName}: has no ${name}`, {
        hint: 'run `kcr inspect ARCHIVE --rootfs` to list the changed files',
      });
    }
    return member;
  }

  async read(member: TarMember, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    if (member.size > maxBytes) {
      throw new KcrError(
        'invalid-input',
        `${this.memberName}: ${member.name} is ${member.size} bytes, too large to read whole`,
      );
    }
    return this.archive.readRange(this.memberName, member.offset, member.size);
  }

  stream(member: TarMember): Readable {
    return this.archive.stream(this.memberName, member.offset, member.offset + member.size);
  }
}
