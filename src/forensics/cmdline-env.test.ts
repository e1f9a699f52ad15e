/**
 * Command lines follow the kernel's /proc/PID/cmdline rules, and a title a process wrote over its
 * argv (setproctitle) reads as that title, not as dozens of empty arguments.
 */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './cmdline-env.js';

const argv = (...parts: string[]) => Buffer.from(parts.map((p) => p + '\0').join(''));

describe('parseCommandLine', () => {
  it('splits an untouched argv at NULs', () => {
    expect(parseCommandLine({ args: argv('nc', '127.0.0.1', '8080') })).toEqual({
      cmdline: ['nc', '127.0.0.1', '8080'],
      titleRewritten: false,
    });
  });

  it('keeps one real empty trailing argument', () => {
    expect(parseCommandLine({ args: argv('printf', '%s', '') }).cmdline).toEqual(['printf', '%s', '']);
  });

  it('drops the zeroed rest of an argv that redis rewrote with its title, and says so', () => {
    // redis-server's setproctitle: the title over argv[0], then NULs to the end of the argv area
    // (as read from a real redis: 49 empty strings after the title).
    const area = Buffer.alloc(20 + 50);
    area.write('redis-server *:6379');
    const r = parseCommandLine({ args: area });
    expect(r).toEqual({ cmdline: ['redis-server *:6379'], titleRewritten: true });
    expect(r.cmdline.join(' ')).toBe('redis-server *:6379');
  });

  it('follows the kernel when the title runs on into the environment (nginx)', () => {
    const title = Buffer.from('nginx: worker process\0');
    expect(parseCommandLine({ args: title.subarray(0, 8), title })).toEqual({
      cmdline: ['nginx: worker process'],
      titleRewritten: true,
    });
  });
});
