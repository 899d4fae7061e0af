// MM406's heuristic: nested unbounded repetition is flagged, the usual safe shapes are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtrackingRisk } from '../../src/dsl/regex-risk.js';

test('nested unbounded repetition is flagged', () => {
  for (const re of ['^(a+)+$', '(\\w+\\s?)*@spam', '(a*)*', '((ab)+c*)+', '(?:x+y?){2,}', '(?<w>\\d+)+', '([a-z]+)*$']) {
    assert.ok(backtrackingRisk(re), re);
  }
});

test('the usual safe shapes are not', () => {
  for (const re of ['^\\[spam\\]', 'a+b+', '(ab)+', '(a|b)*', '^[a-z0-9-]+(\\.[a-z0-9-]+)*$', '(a+){2}', '[(a+)+]', '\\(a+\\)+', '(?:re|fwd?):\\s*', 'x{1,5}(y+)?']) {
    assert.equal(backtrackingRisk(re), undefined, re);
  }
});
