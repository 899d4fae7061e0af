import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './paths.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
/** What X-Mailman-Version and /system/versions report. */
export const MAILMAN_VERSION = `mailman-ts ${VERSION}`;
export const API_VERSION = '3.1';
