/** How big a parsed JSON value is: its nesting depth, how many values it holds, and its text. */
export interface JsonSize {
  /** A scalar is 0 levels deep, `{}` or `[]` 1, `[[1]]` 2. */
  depth: number;
  /** Every value, containers and scalars alike. */
  values: number;
  /** The characters of every string and key. */
  characters: number;
}

/**
 * Walks a parsed JSON value with an explicit stack: a body nested 10,000 deep must be measured
 * before anything recursive (Ajv, JSON.stringify, deep equality) overflows the call stack on it.
 */
export function measureJson(value: unknown): JsonSize {
  const size: JsonSize = { depth: 0, values: 0, characters: 0 };
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [item, level] = entry;
    size.values += 1;
    if (typeof item === 'string') size.characters += item.length;
    if (typeof item !== 'object' || item === null) continue;
    size.depth = Math.max(size.depth, level + 1);
    for (const [key, child] of Object.entries(item)) {
      if (!Array.isArray(item)) size.characters += key.length;
      stack.push([child, level + 1]);
    }
  }
  return size;
}
