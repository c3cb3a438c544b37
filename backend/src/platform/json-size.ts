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
  const size: JsonSize = { depth: 0, values: 1, characters: typeof value === 'string' ? value.length : 0 };
  // Two parallel stacks of containers, no tuple per value: this runs on every body of up to 1 MB.
  const containers: object[] = typeof value === 'object' && value !== null ? [value] : [];
  const levels: number[] = [1];
  for (let container = containers.pop(); container; container = containers.pop()) {
    const level = levels.pop()!;
    size.depth = Math.max(size.depth, level);
    const isArray = Array.isArray(container);
    const keys = isArray ? undefined : Object.keys(container);
    const count = keys ? keys.length : (container as unknown[]).length;
    size.values += count;
    for (let index = 0; index < count; index += 1) {
      const child = keys ? (container as Record<string, unknown>)[keys[index]] : (container as unknown[])[index];
      if (keys) size.characters += keys[index].length;
      if (typeof child === 'string') size.characters += child.length;
      else if (typeof child === 'object' && child !== null) {
        containers.push(child);
        levels.push(level + 1);
      }
    }
  }
  return size;
}
