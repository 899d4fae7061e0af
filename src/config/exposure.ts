// What the site exposes beyond this host. The REST API holds every list, member and password
// hash; reachable from other hosts with the password every install ships with, it is open to
// anyone who read the README. Starting refuses that; loopback keeps the shipped defaults usable.
import type { Config } from './config.js';
import { sectionSpec } from './schema.js';

/** True for names and addresses that only this host can reach. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Reasons not to start with this configuration; empty when it is safe to. */
export function exposureProblems(config: Config): string[] {
  const problems: string[] = [];
  const host = config.get('webservice', 'hostname');
  if (!isLoopback(host)) {
    const pass = config.get('webservice', 'admin_pass');
    if (pass === sectionSpec('webservice')!.admin_pass.default) {
      problems.push(
        `[webservice] hostname is ${host}, reachable from other hosts, but admin_pass is still the shipped ` +
          `default; set a password of your own in ${config.file ?? 'mailman.conf'}`,
      );
    } else if (pass.length < 12) {
      problems.push(
        `[webservice] hostname is ${host}, reachable from other hosts, but admin_pass has fewer than 12 characters`,
      );
    }
  }
  return problems;
}
