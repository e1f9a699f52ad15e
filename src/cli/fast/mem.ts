/** `kcr mem …` as one file (one-command.ts). */
import { registerMem } from '../commands/mem.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('mem', registerMem);
