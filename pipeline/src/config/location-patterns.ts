/** Location code patterns in configuration files: `*` matches any run of characters. */

const regexCache = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (!regex) {
    regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    regexCache.set(pattern, regex);
  }
  return regex;
}

/** True when a location code matches one of the patterns. */
export function matchesLocation(patterns: readonly string[], location: string): boolean {
  return patterns.some((pattern) => patternRegex(pattern).test(location));
}

/**
 * Do two patterns match a common code? Walks both at once: a `*` on either side may match nothing
 * or swallow one character of the other side.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const memo = new Map<string, boolean>();
  const walk = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = walk(i + 1, j) || (j < b.length && walk(i, j + 1));
    else if (b[j] === '*') result = walk(i, j + 1) || (i < a.length && walk(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && walk(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return walk(0, 0);
}
