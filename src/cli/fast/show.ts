/** `kcr show …` as one file (one-command.ts). */
import { registerShow } from '../commands/show.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('show', registerShow);
