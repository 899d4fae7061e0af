// The two suites, decided here only (run.ts runs them; test/unit/waits-for-facts.test.ts checks
// the split). A test is end-to-end when it boots the server (test/helpers/server.ts) or a REST
// server (test/rest/harness.ts) and speaks LMTP, SMTP or HTTP to it; every other test is a
// unit test: modules called in this process, the DSL compiled here, the offline CLI.
import { relative, resolve, sep } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';

export const SUITES = ['unit', 'e2e'] as const;
export type Suite = (typeof SUITES)[number];

/** The end-to-end tests, as paths under test/ without the extension; a folder ends with '/'. */
const E2E = [
  'e2e/',
  'rest/',
  'delivery/e2e.test',
  'delivery/smtp-out.test',
  'delivery/smtp-pipelined-kill.test',
  'moderation/conformance.test',
  'moderation/rest-config.test',
];

/** A test file's path under test/ without the extension: 'dist/test/e2e/x.test.js' gives 'e2e/x.test'. */
export function underTest(path: string): string {
  const fromRoot = relative(PACKAGE_ROOT, resolve(PACKAGE_ROOT, path)).split(sep).join('/');
  return fromRoot.replace(/^(dist\/)?test\//, '').replace(/\.(ts|js)$/, '');
}

/** The suite of a test file, named by its source (test/...ts) or its build (dist/test/...js). */
export function suiteOf(path: string): Suite {
  const name = underTest(path);
  return E2E.some((e) => (e.endsWith('/') ? name.startsWith(e) : name === e)) ? 'e2e' : 'unit';
}
