// A large, valid chain file for measuring the compiler (docs/language.md#goals: 10,000 lines compiled warm
// in at most 100 ms). The links mix what real files hold: registered rules with and without
// arguments, header tests with regexes and lists, settings, reasons with interpolation,
// detours, `for` loops and comments, one link (or loop line) per line.

/** The text of a chain named `name` of about `lines` lines; it compiles without an error. */
export function generateChain(lines: number, name = 'big'): string {
  const out: string[] = [
    '# A generated chain for the compiler benchmark.',
    'let partners = ["partner.example", "example.org", "example.net"]',
    'let limit = 2MB',
    'rule big-post "Over the limit from a stranger" = size > limit and sender.domain not in partners',
    `chain ${name} "Generated" {`,
  ];
  const templates: ((i: number) => string[])[] = [
    (i) => [`    if header "X-Check-${i}" matches /^spam-${i}\\b/i then hold "Check ${i} failed for {sender}"`],
    (i) => [`    if member-moderation and not loop then defer                 # ${i}`],
    (i) => [`    if header "Subject" contains "offer ${i}" or header "X-Mailer" is "bulk-${i}" then discard`],
    (i) => [
      `    if size > ${(i % 50) + 1}MB and list.emergency is false then reject "Too big ({size}) for {list.display_name}"`,
    ],
    (i) => [`    if sender.domain in ["d${i}.example", "e${i}.example"] then jump moderation`],
    () => ['    if big-post then hold'],
    (i) => [`    if header-match(header: "X-Tag", pattern: "tag-${i}", suffix: "s${i}") then defer`],
    () => ['    if recipients.count >= list.max_num_recipients then defer'],
    (i) => [
      `    if header "X-Spam-Score" exists and header "X-Spam-Score" starts with "${i % 10}" then detour header-match`,
    ],
    () => [
      '    for c in site.antispam.header_checks {',
      '        if header-match(header: c.header, pattern: c.pattern, suffix: c.suffix) then defer',
      '    }',
    ],
  ];
  let i = 0;
  while (out.length < lines - 3) out.push(...templates[i % templates.length](i++));
  out.push('    if any then hold', '    accept', '}');
  return out.join('\n') + '\n';
}

/** Chain names the generated chain refers to. */
export const GENERATED_TARGETS = ['accept', 'hold', 'reject', 'discard', 'moderation', 'header-match'];
