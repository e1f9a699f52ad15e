/**
 * Checks the tar structure of a stream while it is being decompressed, so that a decompression bomb
 * (a small gzip or zstd file that inflates to GiBs of anything) stops at the first byte that cannot
 * be tar, instead of being written out in full before the first header is read. It follows the
 * headers exactly as the indexer will (checksums, sizes, PAX sizes) and never holds more than one
 * header and one PAX record in memory. tar-stream and friends extract; none of them only validates
 * while passing the bytes through unchanged, which is why this is written here.
 */
import { Transform, type TransformCallback } from 'node:stream';
import {
  MAX_TAR_META_BYTES,
  TAR_BLOCK,
  headerInfo,
  isMetaFlag,
  isZeroBlock,
  memberSize,
  parsePax,
} from './tar-index.js';

/** After the end-of-archive marker, writers pad to their record size (GNU tar: 10 KiB); 1 MiB is plenty. */
const MAX_TRAILER_BYTES = 1024 * 1024;

/** Raised when the stream stops being tar; `offset` is where, in the inflated data. */
export class NotTarData extends Error {
  constructor(
    readonly offset: number,
    readonly why: string,
  ) {
    super(`${why} at offset ${offset}`);
    this.name = 'NotTarData';
  }
}

export class TarStructureGuard extends Transform {
  /** Bytes seen so far (the offset of the next byte). */
  private offset = 0;
  /** Data bytes (with padding) still to pass before the next header. */
  private skip = 0;
  private readonly header = Buffer.alloc(TAR_BLOCK);
  private headerFill = 0;
  /** While a PAX header's data passes: its bytes, to learn the next member's size. */
  private paxData: Buffer[] | undefined;
  private paxKind: 'x' | 'g' = 'x';
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private ended = false;
  private trailer = 0;

  /** True once the end-of-archive marker went through. */
  get complete(): boolean {
    return this.ended;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.check(chunk);
      done(null, chunk);
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.ended && (this.headerFill > 0 || this.skip > 0 || this.offset === 0)) {
      done(new NotTarData(this.offset, this.offset === 0 ? 'no data' : 'the tar data ends inside a member'));
      return;
    }
    done();
  }

  private check(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.ended) {
        this.trailer += chunk.length - at;
        this.offset += chunk.length - at;
        if (this.trailer > MAX_TRAILER_BYTES)
          throw new NotTarData(this.offset, 'more than 1 MiB of data after the end-of-archive marker');
        return;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        if (this.paxData) this.collectPax(chunk.subarray(at, at + n));
        this.skip -= n;
        at += n;
        this.offset += n;
        continue;
      }
      const n = Math.min(TAR_BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      this.offset += n;
      if (this.headerFill === TAR_BLOCK) {
        this.headerFill = 0;
        this.onHeader();
      }
    }
  }

  private collectPax(part: Buffer): void {
    this.paxData!.push(part);
    const size = this.paxData!.reduce((n, b) => n + b.length, 0);
    // The padding after the record is part of `skip`; parsePax ignores what follows the records.
    if (this.skip - part.length === 0 || size >= MAX_TAR_META_BYTES) {
      const records = parsePax(Buffer.concat(this.paxData!));
      if (this.paxKind === 'x') this.pax = records;
      else this.globalPax = new Map([...this.globalPax, ...records]);
      this.paxData = undefined;
    }
  }

  private onHeader(): void {
    const at = this.offset - TAR_BLOCK;
    if (isZeroBlock(this.header)) {
      this.ended = true;
      return;
    }
    const info = headerInfo(this.header);
    if (!info) throw new NotTarData(at, 'a block that is not a tar header');
    if (!Number.isFinite(info.size)) throw new NotTarData(at, 'a header with an invalid size');
    const size = memberSize(info, this.pax, this.globalPax);
    if (!Number.isFinite(size)) throw new NotTarData(at, 'a header with an invalid PAX size');
    if (isMetaFlag(info.flag) && size > MAX_TAR_META_BYTES)
      throw new NotTarData(at, `a ${size}-byte extended header`);
    if (info.flag === 'x' || info.flag === 'g') {
      this.paxKind = info.flag;
      this.paxData = size > 0 ? [] : undefined;
    } else if (!isMetaFlag(info.flag)) {
      this.pax = new Map();
    }
    this.skip = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
}
