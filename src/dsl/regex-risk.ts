// A cheap test for regexes that may backtrack exponentially (MM406): a group repeated without
// bound that itself holds an unbounded repetition, as in (a+)+ or (\w+\s?)*. JavaScript's
// engine backtracks, and a header is attacker-controlled text, so such a pattern can stall a
// runner on one message. A heuristic: it finds the classic shape, not every slow pattern.

/** Why the pattern is risky (for the message), or undefined. */
export function backtrackingRisk(source: string): string | undefined {
  // One frame per open group: where it starts, and whether an unbounded repetition is inside.
  const stack: { start: number; inner: boolean }[] = [{ start: 0, inner: false }];
  // A separator-led group is safe itself, but still counts as a repetition for the group around it.
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      i += 2;
      i = afterQuantifier(source, i, stack);
      continue;
    }
    if (c === '[') {
      i = classEnd(source, i);
      i = afterQuantifier(source, i, stack);
      continue;
    }
    if (c === '(') {
      stack.push({ start: i, inner: false });
      i++;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const group = stack.pop()!;
      i++;
      const q = quantifier(source, i);
      const text = source.slice(group.start, i);
      if (q && q.unbounded && group.inner && !startsWithSeparator(text)) return `the group '${text}' repeats a repetition`;
      if (group.inner || q?.unbounded) stack[stack.length - 1].inner = true;
      i = q ? q.end : i;
      continue;
    }
    i++;
    i = afterQuantifier(source, i, stack);
  }
  return undefined;
}

/** Skips a quantifier after an atom, marking the enclosing group when it is unbounded. */
function afterQuantifier(source: string, i: number, stack: { inner: boolean }[]): number {
  const q = quantifier(source, i);
  if (!q) return i;
  if (q.unbounded) stack[stack.length - 1].inner = true;
  return q.end;
}

function quantifier(source: string, i: number): { unbounded: boolean; end: number } | undefined {
  const c = source[i];
  let end: number;
  let unbounded: boolean;
  if (c === '*' || c === '+') {
    end = i + 1;
    unbounded = true;
  } else if (c === '?') {
    end = i + 1;
    unbounded = false;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (!m) return undefined;
    end = i + m[0].length;
    unbounded = m[2] !== undefined && (m[3] === '' || Number(m[3]) > 10);
  } else return undefined;
  if (source[end] === '?') end++; // lazy: as slow when it fails
  return { unbounded, end };
}

function classEnd(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}

/**
 * Whether a group's body starts with one fixed character, as in (\.[a-z]+)*: each round must
 * begin with it, so the rounds cannot split the text in many ways and there is no blow-up.
 */
function startsWithSeparator(group: string): boolean {
  const body = group.replace(/^\((?:\?:|\?<[A-Za-z_$][\w$]*>)?/, '');
  let atom: string;
  if (body[0] === '\\') {
    if (/^\\[dDwWsSbBpPux0-9]/.test(body)) return false; // a class or a back-reference
    atom = body.slice(0, 2);
  } else if (body[0] !== undefined && !'.[()|^$*+?{'.includes(body[0])) atom = body[0];
  else return false;
  return !/^[*+?{]/.test(body.slice(atom.length));
}
