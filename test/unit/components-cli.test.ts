// `mailman components`: what files can name, straight from the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

function mailman(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PACKAGE_ROOT, 'bin', 'mailman.js'), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('components lists every rule the built-in posting chain names, and every handler of its pipeline', async () => {
  const r = await mailman(['components', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listing = JSON.parse(r.stdout) as Record<
    string,
    { name: string; description: string; params: { name: string }[] }[]
  >;
  const names = (k: string) => listing[k].map((c) => c.name);
  const chain = readFileSync(join(PACKAGE_ROOT, 'chains', 'default-posting-chain.chain'), 'utf8');
  const rules = [...chain.matchAll(/^\s*if ([a-z-]+)/gm)].map((m) => m[1]);
  assert.ok(rules.length >= 17, `found ${rules.length} rules in the chain`);
  for (const rule of rules) assert.ok(names('rules').includes(rule), `rule ${rule}`);
  const pipeline = readFileSync(join(PACKAGE_ROOT, 'pipelines', 'default-posting-pipeline.pipeline'), 'utf8');
  const steps = [...pipeline.matchAll(/^\s{4}([a-z0-9-]+)\s*(?:#.*)?$/gm)].map((m) => m[1]);
  assert.equal(steps.length, 17);
  for (const step of steps) assert.ok(names('handlers').includes(step), `handler ${step}`);
  assert.deepEqual(
    listing.rules.find((c) => c.name === 'header-match')!.params.map((p) => p.name),
    ['header', 'pattern', 'suffix'],
  );
  assert.deepEqual(names('sources'), ['list.header_matches', 'message.parts', 'site.antispam.header_checks']);
  assert.ok(listing.rules.every((c) => c.description.length > 10));
  assert.deepEqual(names('commands'), ['confirm', 'echo', 'end', 'help', 'join', 'leave', 'who']);
  assert.deepEqual(
    listing.commands.find((c) => c.name === 'join'),
    {
      name: 'join',
      description: 'Subscribe to this list: your own address, or the one given with address=.',
      params: [],
      aliases: ['subscribe'],
      argumentSyntax: '[digest=no|mime|plain] [address=you@example.org]',
    },
  );

  const text = await mailman(['components', 'rules']);
  assert.match(text.stdout, /^ {2}max-size\(limit: size\? = list\.max_message_size\)$/m);
  const commands = await mailman(['components', 'commands']);
  assert.match(commands.stdout, /^ {2}end \(also: stop\)$/m);
  assert.match(commands.stdout, /^ {2}leave \(also: unsubscribe\)$/m);
  assert.equal((await mailman(['components', 'widgets'])).code, 2);
});
