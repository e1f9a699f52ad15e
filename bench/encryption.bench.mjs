// age encryption of a 1 GiB checkpoint archive: kcr's age encryption of a local file (what `kcr
// backup ARCHIVE --encrypt-to` runs: encryptFile) against the reference `age` CLI encrypting the
// same file to the same recipient, and the same for decryption (a stream, as `kcr backup get`
// reads a store). Both write to a file on the same disk; best of 3 (by wall time), peak RSS over
// all runs, CPU time (user + sys) and the load average beside each.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { growArchive, WORK } from './lib/grow-archive.mjs';
import { benchRow as row, loadLine, measure, printTable } from './lib/measure.mjs';

const KEYS = join(import.meta.dirname, '..', 'test', 'fixtures', 'keys');
const DIST = join(import.meta.dirname, '..', 'dist', 'backup', 'encryption', 'index.js');

/** A one-file program that streams a file through kcr's age encryption or decryption. */
function kcrScript() {
  const path = join(WORK, 'kcr-age.mjs');
  writeFileSync(
    path,
    `import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ageEncryption } from ${JSON.stringify(DIST)};
const [mode, key, input, output] = process.argv.slice(2);
const stream = mode === 'encrypt'
  ? ageEncryption.encryptFile(input, [readFileSync(key, 'utf8').trim()])
  : ageEncryption.decrypt(createReadStream(input, { highWaterMark: 1 << 20 }), [readFileSync(key, 'utf8')]);
await pipeline(stream, createWriteStream(output));
`,
  );
  return path;
}

export default async function encryptionBench() {
  const archive = await growArchive(1024);
  const script = kcrScript();
  const recipient = join(KEYS, 'age-recipient.txt');
  const identity = join(KEYS, 'age-identity.txt');
  const [kcrOut, ageOut, plainOut] = ['kcr.age', 'age.age', 'plain.out'].map((f) => join(WORK, f));
  console.log(`before: ${loadLine()}`);

  const kcrEnc = measure(`node ${script} encrypt ${recipient} '${archive}' ${kcrOut}`);
  const ageEnc = measure(`age -R ${recipient} -o ${ageOut} '${archive}'`);
  const kcrDec = measure(`node ${script} decrypt ${identity} ${ageOut} ${plainOut}`);
  const ageDec = measure(`age -d -i ${identity} -o ${plainOut} ${kcrOut}`);
  for (const f of [kcrOut, ageOut, plainOut]) rmSync(f, { force: true });

  printTable([
    row('kcr age encrypt (1 GiB)', kcrEnc),
    row('age -R (1 GiB)', ageEnc),
    row('kcr age decrypt (of age output)', kcrDec),
    row('age -d (of kcr output)', ageDec),
  ]);
  const enc = kcrEnc.seconds / ageEnc.seconds;
  const dec = kcrDec.seconds / ageDec.seconds;
  const cpu = (a, b) => `[cpu ${a.cpuSeconds} vs ${b.cpuSeconds} s]`;
  console.log(
    `kcr vs age, encrypt: ${enc.toFixed(2)}x age's time (target <= 1.5x: ${enc <= 1.5 ? 'met' : 'MISSED'}) ${cpu(kcrEnc, ageEnc)}`,
  );
  console.log(
    `kcr vs age, decrypt: ${dec.toFixed(2)}x age's time (held to the same 1.5x: ${dec <= 1.5 ? 'met' : 'MISSED'}) ${cpu(kcrDec, ageDec)}`,
  );
  console.log(
    `kcr peak RSS: ${Math.max(kcrEnc.rssMiB, kcrDec.rssMiB).toFixed(0)} MiB (flat: the file is 1 GiB)`,
  );
  console.log(`after: ${loadLine()}`);
  return [
    {
      what: 'age encrypt, kcr vs age CLI',
      value: Number(enc.toFixed(2)),
      target: '<= 1.5x',
      met: enc <= 1.5,
    },
    {
      what: 'age decrypt, kcr vs age CLI',
      value: Number(dec.toFixed(2)),
      target: '<= 1.5x',
      met: dec <= 1.5,
    },
  ];
}
