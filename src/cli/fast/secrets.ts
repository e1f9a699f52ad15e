/** `kcr secrets …` as one file (one-command.ts). */
import { registerSecrets } from '../commands/secrets.js';
import { oneCommandMain } from './one-command.js';

export const main = oneCommandMain('secrets', registerSecrets);
