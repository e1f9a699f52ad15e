/** `kcr inspect …` as one file (one-command.ts). */
import { registerInspect } from '../commands/inspect.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('inspect', registerInspect);
