import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './paths.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
/** What X-Mailman-Version and /system/versions report. */
export const MAILMAN_VERSION = `mailman-ts ${VERSION}`;
export const API_VERSION = '3.1';
/** The GNU Mailman release whose REST API this one matches. */
export const COMPATIBLE_MAILMAN = '3.3.8';
/** What /system/versions reports: clients show it, and some compare the Mailman version in it. */
export const SYSTEM_VERSION = `GNU Mailman ${COMPATIBLE_MAILMAN} (compatible; ${MAILMAN_VERSION})`;
