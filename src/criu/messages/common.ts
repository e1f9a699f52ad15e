/** Messages shared by several image types. */
import { f, message } from '../schema.js';

export const fownEntry = message('fown_entry', {
  uid: f.uint32(1),
  euid: f.uint32(2),
  signum: f.uint32(3),
  pid_type: f.uint32(4),
  pid: f.uint32(5),
});

export const timeval = message('timeval', {
  tv_sec: f.uint64(1),
  tv_usec: f.uint64(2),
});
