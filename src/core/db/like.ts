// LIKE/ILIKE patterns from user input, with the wildcards escaped (PostgreSQL's default escape is \).

export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Pattern for a case-insensitive "contains" search. */
export function containsPattern(term: string): string {
  return `%${escapeLike(term)}%`;
}
