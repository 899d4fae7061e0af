// The time a post arrives, as Sympa's date conditions: `if during(days: ["saturday",
// "sunday"]) then hold "Posts wait for Monday"`, `during(hours: "9-17", timezone:
// "Europe/Paris")`. Days and hours both hold when both are given; hours are ranges of whole
// hours, the end left out ("9-17" is 9:00 to 16:59; "22-6" goes past midnight). The time zone
// is an IANA name, the server's own when none is given.
import { defineRule } from '../../registry.js';

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function dayIndex(word: string): number {
  const w = word.toLowerCase();
  return DAYS.findIndex((d) => d === w || (w.length >= 3 && d.startsWith(w)));
}

/** "9-17,20-22" as [start, end) pairs; undefined when it is not one. */
function hourRanges(text: string): [number, number][] | undefined {
  const out: [number, number][] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(part);
    if (!m) return undefined;
    const [from, to] = [Number(m[1]), Number(m[2])];
    if (from > 23 || to > 24 || from === to) return undefined;
    out.push([from, to]);
  }
  return out.length ? out : undefined;
}

function zoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not a time zone (an IANA name, as "Europe/Paris" or "UTC")`;
  }
}

/** The weekday and hour now, in the zone. */
function nowIn(zone: string | undefined): { day: number; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'long',
    hour: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date());
  const day = dayIndex(parts.find((p) => p.type === 'weekday')?.value ?? '');
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24;
  return { day, hour };
}

export default defineRule({
  name: 'during',
  description: 'The post arrives on one of `days` and within `hours` (e.g. "9-17"), in `timezone`.',
  record: false,
  params: [
    {
      name: 'days',
      type: 'string-list',
      description: 'weekdays, as ["saturday", "sunday"] (or sat, sun); all when absent',
      check: (v) => {
        const bad = (Array.isArray(v) ? v : [v]).find((d) => dayIndex(d) < 0);
        return bad === undefined ? undefined : `"${bad}" is not a weekday (${DAYS.join(', ')})`;
      },
    },
    {
      name: 'hours',
      type: 'string',
      description: 'ranges of hours, end left out, as "9-17" or "22-6,12-13"; all day when absent',
      check: (v) => (hourRanges(String(v)) ? undefined : `"${v}" is not hours as "9-17" or "9-12,14-17"`),
    },
    {
      name: 'timezone',
      type: 'string',
      description: 'an IANA time zone, as "Europe/Paris"; the server\'s when absent',
      check: (v) => zoneProblem(String(v)),
    },
  ],
  check(_ctx, args) {
    const zone = args.timezone === undefined ? undefined : String(args.timezone);
    if (zone !== undefined && zoneProblem(zone)) return { hit: false };
    const { day, hour } = nowIn(zone);
    if (args.days !== undefined) {
      const days = (Array.isArray(args.days) ? args.days : [args.days]).map((d) => dayIndex(String(d)));
      if (!days.includes(day)) return { hit: false };
    }
    if (args.hours !== undefined) {
      const ranges = hourRanges(String(args.hours));
      if (!ranges) return { hit: false };
      const within = ranges.some(([from, to]) => (from < to ? hour >= from && hour < to : hour >= from || hour < to));
      if (!within) return { hit: false };
    }
    return { hit: true };
  },
});
