/** kcr's version; a test keeps it equal to package.json's. */
export const VERSION = '0.1.0';

/** Set by the CLI bundle (scripts/bundle-cli.mjs) to the commit it was built from. */
declare const KCR_COMMIT: string | undefined;

/** The git commit kcr was built from (`unknown` outside a built bundle or a git checkout). */
export const COMMIT: string = typeof KCR_COMMIT === 'string' && KCR_COMMIT ? KCR_COMMIT : 'unknown';
